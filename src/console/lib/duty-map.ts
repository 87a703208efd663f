/** The schematic map: cameras placed by lat/lon in an SVG box, no tiles (the county's network has no internet). */
export interface MapPoint {
  id: string;
  name: string;
  lat: number;
  lon: number;
}
export interface Placed extends MapPoint {
  x: number;
  y: number;
}

/**
 * Fits the points into a width × height box with a margin, keeping the aspect of the ground (a degree of
 * longitude shrinks by cos(latitude)); north up. Points without a position are left out by the caller.
 */
export function project(points: readonly MapPoint[], width: number, height: number, margin = 20): Placed[] {
  if (points.length === 0) return [];
  const lats = points.map((p) => p.lat);
  const lons = points.map((p) => p.lon);
  const [minLat, maxLat] = [Math.min(...lats), Math.max(...lats)];
  const [minLon, maxLon] = [Math.min(...lons), Math.max(...lons)];
  const k = Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180);
  const spanX = Math.max((maxLon - minLon) * k, 1e-6);
  const spanY = Math.max(maxLat - minLat, 1e-6);
  const scale = Math.min((width - 2 * margin) / spanX, (height - 2 * margin) / spanY);
  const offX = (width - spanX * scale) / 2;
  const offY = (height - spanY * scale) / 2;
  return points.map((p) => ({
    ...p,
    x: points.length === 1 ? width / 2 : offX + (p.lon - minLon) * k * scale,
    y: points.length === 1 ? height / 2 : height - offY - (p.lat - minLat) * scale,
  }));
}
