/** The video wall's layout and which camera sits on which tile. Pure: the page keeps it and stores it. */
export const LAYOUTS = [1, 4, 9, 16] as const;
export type Layout = (typeof LAYOUTS)[number];
export const MAX_TILES = 16;

export interface WallCamera {
  id: string;
  name: string;
}
export type Tiles = Array<WallCamera | null>;

export const emptyWall = (): Tiles => Array.from({ length: MAX_TILES }, () => null);

/** Columns of a layout: 1, 2, 3 or 4. */
export const columnsOf = (layout: Layout): number => Math.sqrt(layout);

/**
 * Puts a camera on the wall: on tile `index` when given (replacing what was there), else on the first free tile
 * of the layout. A camera already on the wall moves rather than playing twice. Null: no free tile.
 */
export function place(tiles: Tiles, layout: Layout, camera: WallCamera, index?: number): Tiles | null {
  const next = tiles.map((t) => (t?.id === camera.id ? null : t));
  const at = index ?? next.slice(0, layout).indexOf(null);
  if (at < 0 || at >= layout) return null;
  next[at] = camera;
  return next;
}

export function removeAt(tiles: Tiles, index: number): Tiles {
  return tiles.map((t, i) => (i === index ? null : t));
}

/** Restores a stored wall, dropping anything malformed. */
export function parseWall(text: string | null): { layout: Layout; tiles: Tiles } {
  const fallback = { layout: 4 as Layout, tiles: emptyWall() };
  if (!text) return fallback;
  try {
    const data = JSON.parse(text) as { layout?: unknown; tiles?: unknown };
    const layout = LAYOUTS.includes(data.layout as Layout) ? (data.layout as Layout) : 4;
    const tiles = emptyWall();
    if (Array.isArray(data.tiles)) {
      data.tiles.slice(0, MAX_TILES).forEach((t, i) => {
        if (t && typeof t.id === 'string' && typeof t.name === 'string')
          tiles[i] = { id: t.id, name: t.name };
      });
    }
    return { layout, tiles };
  } catch {
    return fallback;
  }
}
