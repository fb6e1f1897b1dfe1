/**
 * The handler API: the only classes a handler author compiles against.
 *
 * <p>A {@link dev.ringfence.api.Handler} receives a {@link dev.ringfence.api.Request} and a
 * {@link dev.ringfence.api.Context} and returns a {@link dev.ringfence.api.Response}. Every
 * invocation ends with one {@link dev.ringfence.api.Outcome}. The names in this package are a
 * contract: they do not change between minor versions.
 */
package dev.ringfence.api;
