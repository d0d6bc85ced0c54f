// Walks over a filter's terms (its leaves under and, or and not), shared by the places
// that ask what a filter needs or judge it on part of what an exchange holds.

import type { FilterNode } from './filter.ts';

/** Whether any term of the filter passes `test`. */
export function anyTerm(node: FilterNode | null, test: (term: FilterNode) => boolean): boolean {
  if (node === null) return false;
  switch (node.type) {
    case 'and':
    case 'or':
      return node.items.some((item) => anyTerm(item, test));
    case 'not':
      return anyTerm(node.item, test);
    default:
      return test(node);
  }
}

/**
 * The filter's value where each term's is true, false or null (could go either way): null
 * only where the terms known leave it open, so `false` rules an exchange out for sure and
 * `true` in for sure.
 */
export function judge(node: FilterNode, term: (term: FilterNode) => boolean | null): boolean | null {
  switch (node.type) {
    case 'and': {
      let open = false;
      for (const item of node.items) {
        const value = judge(item, term);
        if (value === false) return false;
        if (value === null) open = true;
      }
      return open ? null : true;
    }
    case 'or': {
      let open = false;
      for (const item of node.items) {
        const value = judge(item, term);
        if (value === true) return true;
        if (value === null) open = true;
      }
      return open ? null : false;
    }
    case 'not': {
      const value = judge(node.item, term);
      return value === null ? null : !value;
    }
    default:
      return term(node);
  }
}
