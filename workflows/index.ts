// Every workflow the worker registers. The worker bundles this file; nothing else is exported from it.
export { probeWorkflow } from './probe';
export { inboundJobWorkflow } from './inbound-run';
export { outboundJobWorkflow } from './outbound-run';
export { accountWriteBackWorkflow } from './writeback';
