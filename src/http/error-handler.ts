import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';

interface AjvIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** The field an Ajv issue is about, as a dotted path ('credentials.password', 'cameraIds.2'). */
function fieldOf(issue: AjvIssue): string {
  const base = issue.instancePath.split('/').filter(Boolean).join('.');
  const extra = (issue.params.missingProperty ?? issue.params.additionalProperty) as string | undefined;
  return [base, extra].filter(Boolean).join('.') || '(body)';
}

function describe(issue: AjvIssue): string {
  if (issue.keyword === 'additionalProperties') return 'is not a known field';
  if (issue.keyword === 'required') return 'is required';
  if (issue.keyword === 'format') return `must be a valid ${String(issue.params.format)}`;
  return issue.message ?? 'is invalid';
}

const PG_CONFLICTS: Record<string, string> = {
  '23505': 'already exists',
  '23503': 'is still referenced by other objects',
};

interface PgError {
  code?: string;
  constraint?: string;
  detail?: string;
  table?: string;
}

/** Reply shape for every error: { statusCode, error, message, field? }. Internal details stay in the log. */
export function errorHandler(error: FastifyError & PgError, request: FastifyRequest, reply: FastifyReply) {
  const send = (statusCode: number, message: string, field?: string) => {
    const error = statusText(statusCode);
    return reply
      .status(statusCode)
      .send(field ? { statusCode, error, message, field } : { statusCode, error, message });
  };
  if (error.validation) {
    const issue = error.validation[0] as unknown as AjvIssue;
    const field = fieldOf(issue);
    const where = error.validationContext === 'body' ? '' : `${error.validationContext} `;
    return send(400, `${where}${field}: ${describe(issue)}`, field);
  }
  if (error instanceof AppError) return send(error.statusCode, error.message, error.field);
  if (error.code && PG_CONFLICTS[error.code]) {
    const field = error.constraint ? fieldFromConstraint(error.constraint, error.table) : undefined;
    const what = field ? `${error.table ?? 'object'}.${field}` : (error.table ?? 'object');
    request.log.info({ constraint: error.constraint }, 'conflict');
    return send(409, `${what} ${PG_CONFLICTS[error.code]}`, field);
  }
  if (error.code === '23514' || error.code === '22P02' || error.code === '22007' || error.code === '22008') {
    request.log.info({ constraint: error.constraint, code: error.code }, 'rejected by a database check');
    const field = error.constraint ? fieldFromConstraint(error.constraint, error.table) : undefined;
    return send(400, `${field ?? 'request'}: violates ${error.constraint ?? 'a check'}`, field);
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return send(error.statusCode, error.message);
  }
  request.log.error({ err: error }, 'unhandled error');
  return send(500, 'internal error');
}

/** 'cameras_gb_code_key' → 'gbCode' */
function fieldFromConstraint(constraint: string, table?: string): string | undefined {
  let rest = constraint;
  if (table && rest.startsWith(`${table}_`)) rest = rest.slice(table.length + 1);
  rest = rest.replace(/_(key|fkey|check|pkey)$/, '');
  if (!rest) return undefined;
  return rest.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

function statusText(code: number): string {
  const texts: Record<number, string> = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    409: 'Conflict',
    413: 'Payload Too Large',
    415: 'Unsupported Media Type',
    429: 'Too Many Requests',
    500: 'Internal Server Error',
    503: 'Service Unavailable',
  };
  return texts[code] ?? 'Error';
}
