/// Base addresses of several arrays at once, for kernels that hand raw pointers to parallel
/// workers: one call instead of one nested `withUnsafeBufferPointer` level per array. The pointers
/// are valid inside `body` only. An empty array has no storage to point at; it yields an aligned
/// placeholder address, which a kernel reading no elements of it never dereferences.
public func withPointers<A, B, C, D, E, R>(
    _ a: [A], _ b: [B], _ c: [C], _ d: [D], _ e: [E],
    _ body: (UnsafePointer<A>, UnsafePointer<B>, UnsafePointer<C>, UnsafePointer<D>, UnsafePointer<E>) throws -> R
) rethrows -> R {
    try a.withUnsafeBufferPointer { a in
        try b.withUnsafeBufferPointer { b in
            try c.withUnsafeBufferPointer { c in
                try d.withUnsafeBufferPointer { d in
                    try e.withUnsafeBufferPointer { e in
                        try body(address(a), address(b), address(c), address(d), address(e))
                    }
                }
            }
        }
    }
}

@inline(__always) private func address<T>(_ p: UnsafeBufferPointer<T>) -> UnsafePointer<T> {
    p.baseAddress ?? UnsafePointer(bitPattern: MemoryLayout<T>.alignment)!
}
