/**
 * `@conveyor/client`: a typed client of the Conveyor HTTP API for Node 20+ and browsers
 * (only `fetch`; no runtime dependencies). Types follow job type definitions structurally,
 * so the definitions a worker uses type the client without importing the SDK.
 * @packageDocumentation
 */
export { ConveyorClient, type ConveyorClientOptions, type JobRef } from './client.js';
export {
  ConflictError,
  ConveyorApiError,
  ConveyorNetworkError,
  ForbiddenError,
  NotFoundError,
  RateLimitedError,
  UnauthorizedError,
  UnavailableError,
  ValidationError,
  WaitTimeoutError,
  type ConveyorErrorCode,
  type FieldError,
  type ProblemDocument,
} from './errors.js';
export type {
  ConveyorEvent,
  JobEvent,
  LifecycleEvent,
  LifecycleEventData,
  ProgressEvent,
  ProgressEventData,
  ReconnectedEvent,
  SnapshotEvent,
  AllEventsOptions,
  StreamOptions,
  UnknownEvent,
  WorkflowEvent,
  WorkflowEventData,
} from './events.js';
export type {
  InputOf,
  JobTypeLike,
  JobTypeRef,
  OutputOf,
  PayloadInput,
  PayloadOutput,
  ResultOutput,
  TypedSchema,
} from './job-type.js';
export {
  batchItem,
  step,
  type BatchItem,
  type CreateScheduleRequest,
  type JobStep,
  type ListJobsFilter,
  type ListSchedulesFilter,
  type ListWorkflowsFilter,
  type PayloadSearch,
  type ScheduleJobTemplate,
  type StepInput,
  type SubmitOptions,
  type UpdateScheduleRequest,
  type WorkflowRequest,
  type WorkflowStepRequest,
} from './requests.js';
export {
  FINAL_STATUSES,
  isFinal,
  type FailurePolicy,
  type Job,
  type JobError,
  type JobProgress,
  type JobStatus,
  type JobTypeInfo,
  type MisfirePolicy,
  type OverlapPolicy,
  type Page,
  type Priority,
  type Schedule,
  type ScheduleJob,
  type StepState,
  type Workflow,
  type WorkflowStatus,
  type WorkflowStep,
} from './resources.js';
export { Schedules, type CallOptions, type TriggerResult } from './schedules.js';
export { parseEventStream, type SseMessage } from './sse.js';
export type { WaitOptions } from './wait.js';
export { Workflows } from './workflows.js';
