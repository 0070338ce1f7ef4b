/**
 * True for the platform's refusal of one socket too many: `exceed max concurrent count` on devices,
 * `exceed max task count` in devtools (WeChat allows 5 SocketTasks at once).
 */
export function isSocketLimitError(errMsg: string): boolean {
  return /exceed max (concurrent|task) count/i.test(errMsg);
}
