// The records that travel along a job's path, each with one constructor and one money codec:
// the job as submitted (src/job.ts), the router's decision and admission, the generation's outcome.
export { decisionRecord, type DecisionCode, type DecisionContext, type DecisionRecord } from './records/decision.js';
export { headroom, readDecision, storeDecision, type StoredDecision } from './records/stored-decision.js';
export { Admission, FallbackDirection, GenerateData, Progress } from './records/admission.js';
export { completedOutcome, failedOutcome, type Admitted, type FinalResult, type GenerationResult, type Settled } from './records/outcome.js';
export { AmountText, readMoney, writeMoney } from './records/money-text.js';
