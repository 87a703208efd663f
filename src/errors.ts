/** Errors with the HTTP status a client should see. Messages name the module and object, never a secret. */

export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** 400: the request is wrong; `field` names the offending field (dotted path). */
export class ValidationError extends AppError {
  constructor(field: string, message: string) {
    super(400, `${field}: ${message}`, field);
  }
}

/** 404: unknown, or outside the caller's scope — the two are indistinguishable on purpose. */
export class NotFoundError extends AppError {
  constructor(objectType: string, id: string) {
    super(404, `${objectType} ${id} not found`);
  }
}

/** 403: the caller's role may not do this at all (as opposed to an object outside its scope). */
export class ForbiddenError extends AppError {
  constructor(message: string) {
    super(403, message);
  }
}

/** 409: the request conflicts with the stored state. */
export class ConflictError extends AppError {
  constructor(message: string, field?: string) {
    super(409, message, field);
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'authentication required') {
    super(401, message);
  }
}
