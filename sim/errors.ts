// A failure that becomes an EC2 error envelope (or an S3 <Error>) with its HTTP status.
export class SimError extends Error {
  readonly code: string;
  readonly status: number;

  constructor(code: string, message: string, status = 400) {
    super(message);
    this.name = 'SimError';
    this.code = code;
    this.status = status;
  }
}

export const notFound = (code: string, message: string): SimError => new SimError(code, message, 400);
export const missing = (param: string): SimError =>
  new SimError('MissingParameter', `The request must contain the parameter ${param}`);
export const invalidValue = (message: string): SimError => new SimError('InvalidParameterValue', message);
