/** Largest property contents a node may carry unless a backend is configured otherwise. */
export const DEFAULT_MAX_CONTENT_BYTES = 16 * 1024 * 1024;

/** Default modulus of version sequence numbers (versions are uint16 on the wire). */
export const DEFAULT_MAX_VERSION_SEQUENCE = 256;

/** Largest modulus a version may use: sequence numbers travel as uint16. */
export const MAX_VERSION_SEQUENCE_LIMIT = 65536;
