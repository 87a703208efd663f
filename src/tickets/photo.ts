/** Repair photos: the declared type must be JPEG or PNG, and the bytes must say the same. Pure. */
export const PHOTO_TYPES = ['image/jpeg', 'image/png'] as const;
export type PhotoType = (typeof PHOTO_TYPES)[number];

const MAGIC: Record<PhotoType, Buffer> = {
  'image/jpeg': Buffer.from([0xff, 0xd8, 0xff]),
  'image/png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
};

export type PhotoVerdict =
  | { ok: true; type: PhotoType }
  | { ok: false; status: 415; field: 'content-type'; message: string }
  | { ok: false; status: 413 | 400; field: 'body'; message: string };

/** The declared media type without parameters, lower case ('image/JPEG; q=1' → 'image/jpeg'). */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

export function isPhotoType(type: string): type is PhotoType {
  return (PHOTO_TYPES as readonly string[]).includes(type);
}

export function checkPhoto(type: string, body: Buffer, maxBytes: number): PhotoVerdict {
  if (!isPhotoType(type)) {
    return {
      ok: false,
      status: 415,
      field: 'content-type',
      message: `must be image/jpeg or image/png, not '${type}'`,
    };
  }
  if (body.length > maxBytes) {
    return { ok: false, status: 413, field: 'body', message: `a photo may have at most ${maxBytes} bytes` };
  }
  const magic = MAGIC[type];
  if (body.length <= magic.length || !body.subarray(0, magic.length).equals(magic)) {
    return {
      ok: false,
      status: 400,
      field: 'body',
      message: `is not a ${type === 'image/png' ? 'PNG' : 'JPEG'} image`,
    };
  }
  return { ok: true, type };
}
