import { TreeNode } from '../../src/tree/tree-node.js';
import { joinLabel } from '../../src/tree/labels.js';

/**
 * The animal test bed (REFERENCE.md): three animals, two named children each, three
 * notes per child, and a `notes` page listing all 18 notes by absolute label: 28 nodes.
 * `prefix` places the whole bed under a label (for mounts), links included.
 */
export const ANIMALS = [
  { name: 'lion', description: 'King of the jungle', popularity: 10, diet: 'carnivore', children: ['Simba', 'Nala'] },
  { name: 'elephant', description: 'Largest land animal', popularity: 8, diet: 'herbivore', children: ['Dumbo', 'Babar'] },
  { name: 'parrot', description: 'Colorful bird', popularity: 7, diet: 'omnivore', children: ['Polly', 'Jerome'] },
] as const;

export const NOTE_COUNT = 3;
export const TEST_BED_SIZE = 28;

export function noteLabels(prefix = ''): string[] {
  const out: string[] = [];
  for (const animal of ANIMALS) {
    for (const child of animal.children) {
      for (let i = 0; i < NOTE_COUNT; i++) out.push(joinLabel(prefix, `${animal.name}/${child}/note${i}`));
    }
  }
  return out;
}

export function animalNodes(prefix = ''): TreeNode[] {
  const at = (label: string): string => joinLabel(prefix, label);
  const nodes: TreeNode[] = [];
  for (const animal of ANIMALS) {
    const node = new TreeNode({ labelRule: at(animal.name), description: animal.description, childNames: [...animal.children] });
    node.insertProperty('popularity', 'int64', animal.popularity);
    node.insertProperty('diet', 'string', animal.diet);
    nodes.push(node);
    for (const child of animal.children) {
      const notes = Array.from({ length: NOTE_COUNT }, (_, i) => `note${i}`);
      nodes.push(new TreeNode({ labelRule: at(`${animal.name}/${child}`), description: `${child} the ${animal.name}'s dossier`, childNames: notes }));
      for (const [i, note] of notes.entries()) {
        const n = new TreeNode({ labelRule: at(`${animal.name}/${child}/${note}`), description: `${child}'s note ${i}` });
        n.insertProperty('text', 'string', `${child} note ${i}: ${'observed '.repeat(i + 1)}`);
        nodes.push(n);
      }
    }
  }
  // Absolute child names (links) hold a `/`; they are resolved as labels, not nested.
  nodes.push(new TreeNode({ labelRule: at('notes'), description: 'Every note about every animal', childNames: noteLabels(prefix) }));
  return nodes;
}

/** Labels of the nodes under an animal (the animal itself included): 9 per animal. */
export function animalSubtree(animal: string, prefix = ''): string[] {
  return animalNodes(prefix)
    .map((n) => n.labelRule)
    .filter((l) => l === joinLabel(prefix, animal) || l.startsWith(`${joinLabel(prefix, animal)}/`));
}
