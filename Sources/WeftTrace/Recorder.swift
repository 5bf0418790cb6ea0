import WeftInterpreter
import WeftScheduler

/// Writes a run's events to a trace as they happen (attach with
/// ``ThreadedRunner/addObserver(_:)``). The `end` event carries a digest of final memory.
public final class TraceRecorder: RunObserver {
    public let writer: TraceWriter
    let memory: LinearMemory?

    public init(writer: TraceWriter, memory: LinearMemory?) {
        self.writer = writer
        self.memory = memory
    }

    public func event(_ event: RunEvent) throws {
        if case .end = event {
            try writer.append(event, memoryDigest: memoryDigest(memory))
            try writer.flush()
        } else {
            try writer.append(event)
        }
    }
}

/// SHA-256 of a memory's current contents; nil without a memory.
public func memoryDigest(_ memory: LinearMemory?) -> [UInt8]? {
    guard let memory else { return nil }
    var sha = SHA256()
    sha.update(UnsafeRawBufferPointer(start: memory.base, count: memory.byteCount))
    return sha.finish()
}
