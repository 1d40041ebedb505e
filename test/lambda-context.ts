/** The second argument Lambda passes a handler, as far as the Powertools middleware reads it. */
export const LAMBDA_CONTEXT = { awsRequestId: 'test-request', functionName: 'test-function' };
