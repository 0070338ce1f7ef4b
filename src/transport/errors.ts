import { FailureCause, diagnoseFailure } from '../failures';

/**
 * True for the platform's refusal of one socket too many: `exceed max concurrent count` on devices,
 * `exceed max task count` in devtools (WeChat allows 5 SocketTasks at once). A row of the failures table.
 */
export function isSocketLimitError(errMsg: string): boolean {
  return diagnoseFailure(errMsg)?.cause === FailureCause.SocketLimit;
}
