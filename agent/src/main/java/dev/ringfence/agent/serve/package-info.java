/**
 * The {@code serve} runtime: a routes directory watched for new, changed and removed routes
 * ({@link dev.ringfence.agent.serve.RouteDirectory}), the server's settings
 * ({@link dev.ringfence.agent.serve.ServeConfig}), the runtime that ties the directory, the routes
 * and the HTTP front together ({@link dev.ringfence.agent.serve.ServeRuntime}), and the in-process
 * API a host application calls routes through ({@link dev.ringfence.agent.serve.Ringfence}).
 */
package dev.ringfence.agent.serve;
