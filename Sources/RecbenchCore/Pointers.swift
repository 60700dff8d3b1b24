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

/// Eight floats from an address of any alignment (the lanes' loads and stores in kernels).
@inlinable @inline(__always) public func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}
@inlinable @inline(__always) public func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}
