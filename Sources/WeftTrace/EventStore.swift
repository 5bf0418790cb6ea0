import WeftScheduler

/// A run's events kept in memory in the trace format's compact coding (a few bytes an event
/// instead of a ``RunEvent`` value's tens), with random access by index.
///
/// Events are coded in chunks of ``eventsPerChunk``, each started with a fresh coding state so
/// it decodes on its own. The chunk still being filled is kept decoded; a full one is coded
/// then. Reads decode a whole chunk and keep the last few decoded, so reading events in order
/// (re-executing the run from a snapshot) decodes each chunk once, and reading around an index
/// (listing nearby events) touches at most a couple of chunks.
public final class EventStore {
    /// The number of events a coded chunk holds.
    public let eventsPerChunk: Int
    // Only the store's own methods touch its state, and they never overlap (nothing they call
    // comes back into the store), so the run-time exclusivity checks Swift would make on each
    // access (several per event added or read) are switched off, as in the trace writer.
    /// The number of events held.
    @exclusivity(unchecked) public private(set) var count = 0
    /// The full chunks, coded.
    @exclusivity(unchecked) var chunks: [[UInt8]] = []
    /// The events after the full chunks (fewer than ``eventsPerChunk``), decoded.
    @exclusivity(unchecked) var tail: [RunEvent] = []
    /// Recently decoded chunks, the most recently used first.
    @exclusivity(unchecked) var cache: [(chunk: Int, events: [RunEvent])] = []
    /// How many decoded chunks ``cache`` keeps.
    let cacheCapacity: Int

    /// An empty store coding `eventsPerChunk` events a chunk and keeping up to `cachedChunks`
    /// chunks decoded for reading.
    public init(eventsPerChunk: Int = 4096, cachedChunks: Int = 3) {
        precondition(eventsPerChunk > 0 && cachedChunks > 0)
        self.eventsPerChunk = eventsPerChunk
        cacheCapacity = cachedChunks
        tail.reserveCapacity(eventsPerChunk)
    }

    /// The bytes the coded chunks take (not counting the decoded tail and cache).
    public var codedByteCount: Int { chunks.reduce(0) { $0 + $1.count } }

    /// The number of chunks coded so far.
    public var codedChunkCount: Int { chunks.count }

    /// Adds `event` after the last one.
    public func append(_ event: RunEvent) {
        tail.append(event)
        count += 1
        if tail.count == eventsPerChunk { seal() }
    }

    /// Codes the full tail as a chunk; its decoded events go to the cache, where the next
    /// reads in order (often of the events just added) find them.
    func seal() {
        var state = CodingState()
        var w = ByteWriter(capacity: 4 * eventsPerChunk)
        for e in tail { state.encode(e, into: &w) }
        let decoded = tail
        chunks.append(w.bytes)
        tail = []
        tail.reserveCapacity(eventsPerChunk)
        remember(chunks.count - 1, decoded)
    }

    /// The event at `index` (0 up to ``count``).
    public subscript(index: Int) -> RunEvent {
        precondition(index >= 0 && index < count, "event \(index) out of range (\(count) events)")
        let chunk = index / eventsPerChunk
        let offset = index - chunk * eventsPerChunk
        if chunk == chunks.count { return tail[offset] }
        if let first = cache.first, first.chunk == chunk { return first.events[offset] }
        return decodedChunk(chunk)[offset]
    }

    /// The events of coded chunk `chunk`, from the cache or decoded now (and cached).
    func decodedChunk(_ chunk: Int) -> [RunEvent] {
        if let i = cache.firstIndex(where: { $0.chunk == chunk }) {
            let entry = cache.remove(at: i)
            cache.insert(entry, at: 0)
            return entry.events
        }
        let events = decode(chunk)
        remember(chunk, events)
        return events
    }

    func remember(_ chunk: Int, _ events: [RunEvent]) {
        if cache.count == cacheCapacity { cache.removeLast() }
        cache.insert((chunk, events), at: 0)
    }

    /// Decodes coded chunk `chunk`. The store coded it itself, so it always decodes.
    func decode(_ chunk: Int) -> [RunEvent] {
        var state = CodingState()
        var r = ByteReader(chunks[chunk])
        var events: [RunEvent] = []
        events.reserveCapacity(eventsPerChunk)
        do {
            while !r.atEnd { events.append(try state.decode(&r).0) }
        } catch {
            preconditionFailure("event chunk \(chunk) does not decode: \(error)")
        }
        precondition(events.count == eventsPerChunk, "event chunk \(chunk) holds \(events.count) events")
        return events
    }
}
