package hl7

import (
	"bytes"
	"sync"
	"sync/atomic"
)

// The arena holds the copies of edited segments. Parsed bytes are never written to, so the
// first edit of a segment copies its bytes and separator offsets; a mapping step that touches
// every OBX of a result copies thirty segments, and carving those copies from a few blocks is a
// few allocations instead of sixty. The blocks come from pools: Release gives them back when the
// message is done with, so that a channel's next message edits in memory that is already there
// instead of memory the runtime must zero and the collector must later sweep.
const (
	// arenaBlock is the size in bytes of a block of segment bytes.
	arenaBlock = 4096
	// sepBlock is the number of separator offsets in a block.
	sepBlock = 1024
	// keptBlocks and keptSepBlocks bound the blocks a message remembers for Release. A message
	// edited more than that (16 KiB of segments) takes further blocks from the pool all the
	// same, but leaves them to the collector.
	keptBlocks    = 4
	keptSepBlocks = 2
)

var (
	bytePool = sync.Pool{New: func() any { return new([arenaBlock]byte) }}
	sepPool  = sync.Pool{New: func() any { return new([sepBlock]int32) }}
	// released reports whether any message was released: until then the pools are empty,
	// and a program that never releases messages does not pay for looking in them.
	released atomic.Bool
	// freshBlocks makes the arena allocate every block instead of taking one from the pools:
	// tests compare edits in fresh memory with edits in memory other messages used.
	freshBlocks atomic.Bool
)

func getBlock() *[arenaBlock]byte {
	if !released.Load() || freshBlocks.Load() {
		return new([arenaBlock]byte)
	}
	return bytePool.Get().(*[arenaBlock]byte)
}

func getSepBlock() *[sepBlock]int32 {
	if !released.Load() || freshBlocks.Load() {
		return new([sepBlock]int32)
	}
	return sepPool.Get().(*[sepBlock]int32)
}

// arenaBytes returns an empty slice with capacity n, carved from the message's current block
// when it fits. Carved slices are capped, so an append past n never runs into a neighbour.
// A block may hold the bytes of a message released earlier: arenaBytes hands out only length
// 0, and nothing reads a segment past its length.
func (m *Message) arenaBytes(n int) []byte {
	if n > arenaBlock/4 {
		return make([]byte, 0, n)
	}
	if len(m.arena)+n > cap(m.arena) {
		b := getBlock()
		for i := range m.blocks {
			if m.blocks[i] == nil {
				m.blocks[i] = b
				break
			}
		}
		m.arena = b[:0:arenaBlock]
	}
	start := len(m.arena)
	m.arena = m.arena[:start+n]
	return m.arena[start : start : start+n]
}

// arenaSeps is arenaBytes for separator offsets.
func (m *Message) arenaSeps(n int) []int32 {
	if n > sepBlock/4 {
		return make([]int32, 0, n)
	}
	if len(m.sepArena)+n > cap(m.sepArena) {
		b := getSepBlock()
		for i := range m.sepBlocks {
			if m.sepBlocks[i] == nil {
				m.sepBlocks[i] = b
				break
			}
		}
		m.sepArena = b[:0:sepBlock]
	}
	start := len(m.sepArena)
	m.sepArena = m.sepArena[:start+n]
	return m.sepArena[start : start : start+n]
}

// segmentBytes returns an empty slice for n bytes of an edited segment, with room for later
// edits to grow it in place.
func (m *Message) segmentBytes(n int) []byte { return m.arenaBytes(n + 16 + n/16) }

// arenaIndex returns the offsets of the field separators in b, a segment's new bytes.
func (m *Message) arenaIndex(b []byte) []int32 {
	fs := m.delims.Field
	return appendSeps(m.arenaSeps(bytes.Count(b, []byte{fs})), b, fs)
}

// Release gives the memory that m's edits were copied into, and the array of its segment
// index, back to pools for the messages to come, and empties m: it has no segments
// afterwards, and Bytes returns nothing.
//
// Call it only when nothing will read m again. That includes every view into m: a Value or
// Segment read from it, the slices Raw returns, and strings made from those without copying
// (some packages make them for the length of a call). Their bytes may be another message's
// after Release. What was copied out stays valid: the result of Bytes or Text of an edited
// message (a new slice), String of a Value, Segment or Message, segment names (Name), and
// clones made with Clone (a clone copies the segments m edited). The bytes m was parsed from
// are not m's to release: Bytes of an unedited message stays valid, and so do views of
// segments m did not edit.
//
// Release is optional; a message that is not released is collected as usual. Calling it twice
// does nothing more. It is not safe to call concurrently with any other use of m.
func (m *Message) Release() {
	if !released.Load() {
		released.Store(true)
	}
	for _, b := range m.blocks {
		if b != nil {
			bytePool.Put(b)
		}
	}
	for _, b := range m.sepBlocks {
		if b != nil {
			sepPool.Put(b)
		}
	}
	if m.segs != nil && cap(m.segs) <= maxPooledSegs {
		l := m.list
		if l == nil {
			l = new(segList)
		}
		s := m.segs[:cap(m.segs)]
		clear(s) // the pool must not keep other messages' bytes alive
		l.s = s[:0]
		segListPool.Put(l)
	}
	*m = Message{dirty: true}
}

// segList holds an array of segments in segListPool: Clone copies a message's segment index
// into one that a released message gave back.
type segList struct{ s []segment }

// maxPooledSegs bounds the arrays of segments Release gives back.
const maxPooledSegs = 4096

// segListPool has no New: when it is empty, Clone allocates the array as it would without a
// pool, and no holder.
var segListPool sync.Pool

// cloneSegs returns a copy of segs, in an array from the pool when there is one, and the
// holder of that array.
func cloneSegs(segs []segment) ([]segment, *segList) {
	if !released.Load() {
		return append([]segment(nil), segs...), nil
	}
	if l, _ := segListPool.Get().(*segList); l != nil {
		if cap(l.s) < len(segs) {
			l.s = make([]segment, 0, len(segs))
		}
		return append(l.s[:0], segs...), l
	}
	return append([]segment(nil), segs...), nil
}

// maxInterned bounds the segment names internName keeps. Real messages use a few dozen names;
// past the bound (a sender making up names), a name is copied instead.
const maxInterned = 1024

var (
	internMu sync.Mutex
	// interned maps segment names to themselves. It is replaced, never changed, so that
	// readers need no lock.
	interned atomic.Pointer[map[string]string]
)

// internName returns name as a string that does not share name's bytes, the same string for
// the same name: the name of a segment in an arena block (see segment.pooled), without an
// allocation for each call.
func internName(name []byte) string {
	if t := interned.Load(); t != nil {
		if s, ok := (*t)[string(name)]; ok {
			return s
		}
	}
	internMu.Lock()
	defer internMu.Unlock()
	old := interned.Load()
	if old != nil {
		if s, ok := (*old)[string(name)]; ok {
			return s
		}
		if len(*old) >= maxInterned {
			return string(name)
		}
	}
	var next map[string]string
	if old == nil {
		next = make(map[string]string, 1)
	} else {
		next = make(map[string]string, len(*old)+1)
		for k, v := range *old {
			next[k] = v
		}
	}
	s := string(name)
	next[s] = s
	interned.Store(&next)
	return s
}
