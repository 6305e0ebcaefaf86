/** A table that sorts (click a heading), filters (one box over every column) and pages; usable from the keyboard. */
import { useMemo, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';

export interface Column<T> {
  title: string;
  /** The value sorted and filtered on. */
  value: (row: T) => string | number;
  /** How the cell shows (default: the value). */
  render?: (row: T) => ComponentChildren;
}

const PAGE = 25;

export function DataTable<T>(props: { rows: T[]; columns: Column<T>[]; rowKey: (row: T) => string; label: string; empty?: string }) {
  const [filter, setFilter] = useState('');
  const [sort, setSort] = useState<{ index: number; descending: boolean } | null>(null);
  const [page, setPage] = useState(0);
  const shown = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    let rows = needle ? props.rows.filter((row) => props.columns.some((c) => String(c.value(row)).toLowerCase().includes(needle))) : props.rows;
    if (sort) {
      const column = props.columns[sort.index];
      rows = [...rows].sort((a, b) => {
        const x = column.value(a);
        const y = column.value(b);
        const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
        return sort.descending ? -order : order;
      });
    }
    return rows;
  }, [props.rows, props.columns, filter, sort]);
  const pages = Math.max(1, Math.ceil(shown.length / PAGE));
  const current = Math.min(page, pages - 1);
  return (
    <div class="table">
      <input type="search" aria-label={`Filter ${props.label}`} placeholder="Filter" value={filter}
        onInput={(e) => { setFilter(e.currentTarget.value); setPage(0); }} />
      <table aria-label={props.label}>
        <thead>
          <tr>
            {props.columns.map((column, index) => (
              <th key={column.title} aria-sort={sort?.index === index ? (sort.descending ? 'descending' : 'ascending') : 'none'}>
                <button type="button" class="sort" onClick={() => setSort({ index, descending: sort?.index === index ? !sort.descending : false })}>{column.title}</button>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {shown.length === 0 && <tr><td colSpan={props.columns.length}>{props.empty ?? 'Nothing here.'}</td></tr>}
          {shown.slice(current * PAGE, current * PAGE + PAGE).map((row) => (
            <tr key={props.rowKey(row)}>
              {props.columns.map((column) => <td key={column.title}>{column.render ? column.render(row) : String(column.value(row))}</td>)}
            </tr>
          ))}
        </tbody>
      </table>
      {pages > 1 && (
        <nav class="pager" aria-label={`${props.label} pages`}>
          <button type="button" disabled={current === 0} onClick={() => setPage(current - 1)}>Previous</button>
          <span>Page {current + 1} of {pages}</span>
          <button type="button" disabled={current >= pages - 1} onClick={() => setPage(current + 1)}>Next</button>
        </nav>
      )}
    </div>
  );
}
