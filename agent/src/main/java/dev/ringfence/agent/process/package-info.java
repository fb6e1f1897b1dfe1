/**
 * The process tier: a handler version run in a child JVM that the host can cap, kill and
 * replace, for what one JVM cannot contain (native memory, a thread no tick reaches, a crash).
 *
 * <p>{@link dev.ringfence.agent.process.WorkerProcess} is the host's side: it starts one child
 * from the agent jar with its memory caps ({@link dev.ringfence.agent.process.WorkerSpec}), sends it
 * requests and waits for their answers under a deadline, kills it when the deadline passes and
 * restarts it, with backoff, when it dies. {@link dev.ringfence.agent.process.WorkerLoop} is the
 * child's side ({@code worker} verb): the same sandbox as in-process (a class loader per version,
 * budgets, the deny policy) serving requests from the channel until told to stop or its parent
 * goes away. They talk over a {@link dev.ringfence.agent.process.ChannelFile}: one memory-mapped
 * file per child holding two Agrona ring buffers, with messages framed by
 * {@link dev.ringfence.agent.process.Frames}. The child reports its memory every five seconds
 * ({@link dev.ringfence.agent.process.MemoryReporter}); the host holds its resident size to an
 * envelope ({@link dev.ringfence.agent.process.ResidentWatch}).
 * A child starts faster from its version's entry in the
 * {@link dev.ringfence.agent.process.StartupCache} (a class-data archive: the AOT cache on JDK 25+,
 * dynamic AppCDS before), made in the background after the version's first child is ready
 * ({@code StartupArchive}, {@link dev.ringfence.agent.process.StartupTrainer}); any failure there
 * falls back to a plain start.
 *
 * <p>{@link dev.ringfence.agent.process.WorkerPool} runs several such workers for one version
 * (least loaded first; a dead child is replaced while the others serve). A worker whose child runs
 * several requests at once shares its rings through a {@code ChildMux} (serialised writes, answers
 * handed out by frame id), and the child hands them to as many serving threads.
 * {@link dev.ringfence.agent.process.SpareChild} keeps one generic child per host warm and
 * handler-less ({@link dev.ringfence.agent.process.SpareLoop} on the child's side); a worker takes
 * it when the caps match and sends it its version in a {@code LOAD} message.
 */
package dev.ringfence.agent.process;
