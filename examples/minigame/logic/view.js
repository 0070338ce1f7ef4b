'use strict';
/*
 * Pure helpers of the example (no wx, no canvas, no sockets): where a world point is on the screen and back, and the
 * next input that steers a dot toward a target. The world's origin is the middle of the screen; y grows downwards.
 */

/** The largest step one input may make: the reference server's `installGame` default `maxStep`. */
const MAX_STEP = 10;

/** A world point on a screen of `width` x `height` logical pixels. */
function worldToScreen(point, width, height) {
  return { x: Math.round(width / 2 + point.x), y: Math.round(height / 2 + point.y) };
}

/** The world point under a screen point. */
function screenToWorld(point, width, height) {
  return { x: Math.round(point.x - width / 2), y: Math.round(point.y - height / 2) };
}

/** The input `{dx, dy}` that moves a dot at `from` toward `to`, at most `maxStep` (default MAX_STEP) along each axis. */
function stepToward(from, to, maxStep = MAX_STEP) {
  const clamp = (value) => Math.max(-maxStep, Math.min(maxStep, Math.round(value)));
  return { dx: clamp(to.x - from.x), dy: clamp(to.y - from.y) };
}

module.exports = { MAX_STEP, worldToScreen, screenToWorld, stepToward };
