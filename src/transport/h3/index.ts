/** HTTP/3 (RFC 9114) with QPACK (RFC 9204, static table and literals) over our QUIC interface. */
export { H3Connection } from './connection.js';
export type { H3ConnectionOptions, H3Role, RequestHandler } from './options.js';
export type { RequestOptions } from './client-requests.js';
export type { BidiStreamHandler } from './internals.js';
export type { UniStreamHandler } from './uni-streams.js';
export { H3Request, type BodySource, type RespondOptions } from './request.js';
export { H3Response, type ClientRequest } from './response.js';
export { H3BodyWriter } from './body-writer.js';
export { H3_ERROR, H3Error, h3ErrorName, connectionError, streamError, type H3ErrorName, type H3ErrorScope } from './errors.js';
export { H3Settings, SETTING, parseSettingsPayload, encodeSettingsPayload, type SettingInput } from './settings.js';
export { FRAME, encodeFrame, encodeFrameHeader, isReservedIdentifier } from './frames.js';
export { FrameReader, type FrameEvent, type FrameLimits } from './frame-reader.js';
export { UNI_STREAM } from './stream-types.js';
export { getHeader, getHeaders, type HeaderField, type HeaderList } from './headers.js';
export { validateRequest, validateResponse, validateTrailers, type RequestHead, type ResponseHead } from './validate.js';
export { encodeFieldSection } from './qpack/encoder.js';
export { decodeFieldSection } from './qpack/decoder.js';
