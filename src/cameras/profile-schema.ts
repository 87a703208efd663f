/**
 * The shape of a camera profile file (camera-profiles/<name>.yaml). Every object refuses fields it does not
 * know, so a misspelt key is an error at start-up rather than a silently ignored setting.
 * The rules a schema cannot express (placeholders, the name matching the file) live in profiles.ts.
 */
import { type Static, Type } from 'typebox';

const strict = { additionalProperties: false } as const;

const Port = Type.Integer({ minimum: 1, maximum: 65535 });
const Template = Type.String({ minLength: 1, maxLength: 300 });

/** The placeholders a URL template may use. In `snapshot`, {port} is the HTTP port; in `rtsp`, the RTSP port. */
export const PLACEHOLDERS = ['host', 'port', 'channel'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

export const DEFAULT_ONVIF_PATH = '/onvif/device_service';
export const DEFAULT_CHANNEL = 1;

export const ProfileSchema = Type.Object(
  {
    /** Equals the file name without `.yaml`; what a camera's `vendor` column holds. */
    name: Type.String({ pattern: '^[a-z0-9-]{1,32}$' }),
    displayName: Type.String({ minLength: 1, maxLength: 64 }),
    /** Whether the vendor's cameras speak ONVIF (Profile S at least). */
    onvif: Type.Boolean(),
    defaultPorts: Type.Object({ http: Port, rtsp: Port, onvif: Port }, strict),
    /** Absent when the stream addresses come from ONVIF GetStreamUri. */
    rtsp: Type.Optional(
      Type.Object(
        {
          main: Template,
          sub: Template,
          /** The templates are only the device root: the real paths are entered per camera, never filled in. */
          perCamera: Type.Optional(Type.Boolean()),
        },
        strict,
      ),
    ),
    /** A still-image URL template (HTTP); absent when ONVIF GetSnapshotUri is the way. */
    snapshot: Type.Optional(Template),
    onvifPath: Type.Optional(Type.String({ pattern: '^/[A-Za-z0-9._~/-]*$', maxLength: 200 })),
    defaultChannel: Type.Optional(Type.Integer({ minimum: 1, maximum: 256 })),
    /** Concurrent RTSP sessions the device sustains: a planning figure, not a datasheet maximum. */
    maxSessions: Type.Integer({ minimum: 1, maximum: 64 }),
    quirks: Type.Array(
      Type.Object(
        {
          id: Type.String({ pattern: '^[a-z0-9]+(-[a-z0-9]+)*$', maxLength: 64 }),
          description: Type.String({ minLength: 1, maxLength: 1000 }),
        },
        strict,
      ),
    ),
    /** The public documents the profile is based on (titles). */
    sources: Type.Array(Type.String({ minLength: 1, maxLength: 300 }), { minItems: 1 }),
  },
  strict,
);

export type ProfileFile = Static<typeof ProfileSchema>;
