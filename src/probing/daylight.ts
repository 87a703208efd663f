/**
 * Is it dark at a place and time? The picture layer must not read a village camera's night scene as a black or
 * too-dark picture. Sun elevation from the standard low-precision solar position (NOAA's approximation, good
 * to a fraction of a degree, plenty for telling day from night); civil twilight (sun 6° below the horizon)
 * counts as night, since cameras switch to infrared around then.
 */
const RAD = Math.PI / 180;

export function sunElevationDegrees(at: Date, lat: number, lon: number): number {
  const days = at.getTime() / 86_400_000 - 10_957.5; // days since J2000.0 (2000-01-01T12:00Z)
  const meanLongitude = (280.46 + 0.9856474 * days) % 360;
  const meanAnomaly = ((357.528 + 0.9856003 * days) % 360) * RAD;
  const eclipticLongitude =
    (meanLongitude + 1.915 * Math.sin(meanAnomaly) + 0.02 * Math.sin(2 * meanAnomaly)) * RAD;
  const obliquity = (23.439 - 0.0000004 * days) * RAD;
  const declination = Math.asin(Math.sin(obliquity) * Math.sin(eclipticLongitude));
  const rightAscension = Math.atan2(
    Math.cos(obliquity) * Math.sin(eclipticLongitude),
    Math.cos(eclipticLongitude),
  );
  const siderealHours = (18.697374558 + 24.06570982441908 * days) % 24;
  const hourAngle = (siderealHours * 15 + lon) * RAD - rightAscension;
  const elevation = Math.asin(
    Math.sin(lat * RAD) * Math.sin(declination) +
      Math.cos(lat * RAD) * Math.cos(declination) * Math.cos(hourAngle),
  );
  return elevation / RAD;
}

export const NIGHT_BELOW_DEGREES = -6;

export function isNight(at: Date, lat: number, lon: number): boolean {
  return sunElevationDegrees(at, lat, lon) < NIGHT_BELOW_DEGREES;
}
