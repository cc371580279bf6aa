import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IndexedSet } from '../src/model/indexed-set.js';

interface Item {
  name: string;
  setIndex: number;
}
const item = (name: string): Item => ({ name, setIndex: -1 });
const names = (s: IndexedSet<Item>) => [...s].map((i) => i.name).sort();

test('IndexedSet: add, delete from any place, has, size, snapshot, and no double entries', () => {
  const s = new IndexedSet<Item>();
  const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(item) as [Item, Item, Item, Item];
  for (const i of [a, b, c, d]) s.add(i);
  s.add(b);
  assert.equal(s.size, 4, 'adding twice keeps one entry');
  assert.equal(s.delete(b), true);
  assert.equal(s.delete(b), false, 'a second delete finds nothing');
  assert.equal(s.has(b), false);
  assert.equal(b.setIndex, -1);
  assert.deepEqual(names(s), ['a', 'c', 'd']);
  assert.equal(s.delete(d), true, 'the last one');
  assert.equal(s.delete(a), true, 'the first one');
  assert.deepEqual(names(s), ['c']);
  assert.equal(s.has(c), true);
  // Deleting while walking a snapshot visits every item once.
  for (const i of [a, b, d]) s.add(i);
  const seen: string[] = [];
  for (const i of s.snapshot()) {
    seen.push(i.name);
    s.delete(i);
  }
  assert.deepEqual(seen.sort(), ['a', 'b', 'c', 'd']);
  assert.equal(s.size, 0);
});

test('IndexedSet: an item of another set is not deleted by this one', () => {
  const s = new IndexedSet<Item>();
  const t = new IndexedSet<Item>();
  const a = item('a');
  const b = item('b');
  s.add(a);
  t.add(b);
  // b's index (0) points at a in s: s must not take it for b.
  assert.equal(s.delete(b), false);
  assert.equal(s.has(a), true);
  assert.equal(t.has(b), true);
});
