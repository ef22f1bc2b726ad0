/**
 * The two names of the SQS client the failure queue uses, in a module of their own: the adapter
 * loads this one on first use, and esbuild keeps only these two of the client's exports.
 */
export { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
