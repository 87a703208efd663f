import { type TSchema, Type } from 'typebox';

/** A string enum whose static type is the union of its values. */
export function StringEnum<const T extends readonly string[]>(values: T, description?: string) {
  return Type.Unsafe<T[number]>({
    type: 'string',
    enum: [...values],
    ...(description ? { description } : {}),
  });
}

export const Uuid = Type.String({ format: 'uuid', description: 'an object id (UUID)' });
export const NullableUuid = Type.Union([Uuid, Type.Null()]);
/** Serialised from a Date as ISO 8601. */
export const Timestamp = Type.Unsafe<Date | string>({ type: 'string', format: 'date-time' });
export const NullableTimestamp = Type.Unsafe<Date | string | null>({
  anyOf: [{ type: 'string', format: 'date-time' }, { type: 'null' }],
});
export const DateOnly = Type.String({ format: 'date', description: 'a calendar date, YYYY-MM-DD' });
export const Latitude = Type.Union([Type.Number({ minimum: -90, maximum: 90 }), Type.Null()]);
export const Longitude = Type.Union([Type.Number({ minimum: -180, maximum: 180 }), Type.Null()]);
export const Name = Type.String({ minLength: 1, maxLength: 100 });
export const Phone = Type.Union([Type.String({ pattern: '^[0-9+\\- ]{3,20}$' }), Type.Null()]);

export const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false });

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 })),
};

export const SearchText = Type.String({ minLength: 1, maxLength: 100 });

export function PageOf<T extends TSchema>(item: T) {
  return Type.Object({
    items: Type.Array(item),
    total: Type.Integer(),
    limit: Type.Integer(),
    offset: Type.Integer(),
  });
}

export const ErrorReply = Type.Object({
  statusCode: Type.Integer(),
  error: Type.String(),
  message: Type.String(),
  field: Type.Optional(Type.String()),
});

/** The error replies every object route may give. */
export const errorReplies = {
  400: ErrorReply,
  401: ErrorReply,
  403: ErrorReply,
  404: ErrorReply,
  409: ErrorReply,
};

export function page(query: { limit?: number; offset?: number }) {
  return { limit: query.limit ?? 50, offset: query.offset ?? 0 };
}
