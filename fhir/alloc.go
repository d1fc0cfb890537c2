package fhir

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
)

// Allocation in a conversion.
//
// Converting an ORU^R01 with 30 results makes about fifty resources and, for each, a dozen
// small parts: codings, concepts, references, quantities, strings. Allocated one by one they
// cost more than the mapping itself (over a thousand allocations a message, and the garbage
// collector's work that follows them). So a conversion takes its small parts from slabs:
// chunks of one type handed out element by element, one allocation per chunk. What a
// conversion returns (the Bundle) owns its chunks; nothing of it is reused afterwards, so
// the Bundle stays valid and independent of later conversions. The scratch that does not
// outlive a conversion (the index of resources by id, the buffers for names and keys) is
// kept in a sync.Pool on the Converter instead.
//
// A conversion to bytes (AppendJSON) goes further: everything it makes, the resources a
// message has one or two of included, comes from slabs that it keeps and rewinds, and its
// strings (keys, URLs, times) from an arena it keeps too, so that in steady state it
// allocates nothing. That matters beyond the allocations themselves: the collector then runs
// only for the caller's garbage, and while it marks, every pointer the conversion writes or
// clears goes through a write barrier, which made up a large part of a conversion's cost.

// slab hands out zeroed elements of T from chunks allocated a few at a time. A chunk is
// never written to again once an element is handed out, except through that element, so
// the elements behave as if they had been allocated one by one; the chunk stays alive as
// long as one of its elements does, which is the Bundle's lifetime anyway.
//
// A conversion to bytes (Converter.AppendJSON) returns no Bundle: nothing of what its slabs
// hand out outlives it, so they are kept with the conversion's scratch and rewound for the
// next one (see rewind) instead of being allocated again.
type slab[T any] struct {
	buf  []T
	next int // capacity of the next chunk
	// spilled counts the elements handed out from earlier chunks of this conversion, so
	// that rewind knows how large one chunk must be to hold them all.
	spilled int
}

// Chunk sizes grow geometrically within a conversion, so that a small message does not pay
// for large chunks and a large one makes few allocations.
const (
	slabFirst = 8
	slabMax   = 256
)

// reserve makes the first chunk hold n elements, for a slab whose need is known from the
// message (one Observation per OBX), up to maxReserve: a message of many segments that map
// to nothing must not make the conversion allocate for them.
func (s *slab[T]) reserve(n int) {
	if n > slabFirst && s.next == 0 {
		s.next = min(n, maxReserve)
	}
}

// maxReserve bounds what a conversion allocates ahead from the message's segment counts.
const maxReserve = 1024

func (s *slab[T]) grow(n int) {
	if s.next == 0 {
		s.next = slabFirst
	}
	size := max(s.next, n)
	s.spilled += len(s.buf)
	s.buf = make([]T, 0, size)
	s.next = min(s.next*2, slabMax)
}

// rewind makes the slab hand out its elements again, for a conversion whose parts did not
// outlive it. The elements handed out are zeroed now rather than when handed out again,
// so that the kept chunk holds no strings of the last message while it waits in the pool.
// When the last conversion needed more than one chunk, the next gets one chunk that holds
// them all: after a message or two of a channel's kind, a slab allocates nothing.
func (s *slab[T]) rewind() {
	used := s.spilled + len(s.buf)
	clear(s.buf)
	switch {
	case used > maxKeep:
		s.buf = nil // an unusually large message: do not keep its chunk
	case s.spilled > 0:
		s.buf = make([]T, 0, used)
	default:
		s.buf = s.buf[:0]
	}
	s.spilled, s.next = 0, 0
}

// rewindWith is rewind for a slab whose elements have only a few of their fields set in a
// conversion to bytes: reset zeroes those. Clearing a whole element costs a write barrier
// for each of its pointer fields while the collector marks, nil or not, which for the
// Observations of a result message (dozens of fields, a few set) is most of the cost of
// rewinding. TestRewoundZero checks that reset leaves the elements zero.
func (s *slab[T]) rewindWith(reset func(*T)) {
	if s.spilled > 0 || s.spilled+len(s.buf) > maxKeep {
		s.rewind() // the chunk is replaced, not reused
		return
	}
	for i := range s.buf {
		reset(&s.buf[i])
	}
	s.buf = s.buf[:0]
	s.next = 0
}

// maxKeep bounds the elements a slab keeps between conversions to bytes.
const maxKeep = 4 * maxReserve

// one returns a pointer to a new zero T.
func (s *slab[T]) one() *T {
	if len(s.buf) == cap(s.buf) {
		s.grow(1)
	}
	s.buf = s.buf[:len(s.buf)+1]
	return &s.buf[len(s.buf)-1]
}

// many returns an empty slice with room for n elements. Its capacity is exactly n, so an
// append beyond n reallocates instead of writing into the next element of the chunk.
func (s *slab[T]) many(n int) []T {
	if cap(s.buf)-len(s.buf) < n {
		s.grow(n)
	}
	i := len(s.buf)
	s.buf = s.buf[:i+n]
	return s.buf[i : i : i+n]
}

// parts holds the slabs of one conversion, one per element type that conversions make many
// of. The second group is for the resources and parts a message has a few of (its header,
// patient, orders, organizations...): a conversion to bytes takes them from its slabs, which
// it keeps, while Convert allocates them one by one (see alloc), since a chunk of them would
// mostly go unused in the Bundle that owns it.
type parts struct {
	observations slab[Observation]
	concepts     slab[CodeableConcept]
	codings      slab[Coding]
	references   slab[Reference]
	quantities   slab[Quantity]
	ranges       slab[ReferenceRange]
	identifiers  slab[Identifier]
	strings      slab[string]

	headers        slab[MessageHeader]
	sources        slab[MessageHeaderSource]
	destinations   slab[MessageHeaderDestination]
	metas          slab[Meta]
	provenances    slab[Provenance]
	agents         slab[ProvenanceAgent]
	organizations  slab[Organization]
	patients       slab[Patient]
	names          slab[HumanName]
	addresses      slab[Address]
	contacts       slab[ContactPoint]
	periods        slab[Period]
	encounters     slab[Encounter]
	encLocations   slab[EncounterLocation]
	hospitals      slab[Hospitalization]
	locations      slab[Location]
	practitioners  slab[Practitioner]
	qualifications slab[Qualification]
	requests       slab[ServiceRequest]
	reports        slab[DiagnosticReport]
}

// rewind rewinds every slab, for the next conversion to bytes.
func (p *parts) rewind() {
	p.observations.rewindWith((*Observation).resetLinks)
	p.concepts.rewind()
	p.codings.rewind()
	p.references.rewind()
	p.quantities.rewind()
	p.ranges.rewind()
	p.identifiers.rewind()
	p.strings.rewind()

	p.headers.rewind()
	p.sources.rewind()
	p.destinations.rewind()
	p.metas.rewind()
	p.provenances.rewind()
	p.agents.rewind()
	p.organizations.rewind()
	p.patients.rewind()
	p.names.rewind()
	p.addresses.rewind()
	p.contacts.rewind()
	p.periods.rewind()
	p.encounters.rewind()
	p.encLocations.rewind()
	p.hospitals.rewind()
	p.locations.rewind()
	p.practitioners.rewind()
	p.qualifications.rewind()
	p.requests.rewind()
	p.reports.rewind()
}

// alloc returns a new zero T for a resource or part that a message has a few of: from the
// slab s in a conversion to bytes, whose slabs are rewound and kept for the next one, so
// that after a message or two of a channel's kind it allocates nothing; from the heap in
// Convert, whose Bundle owns what it is given.
func alloc[T any](cv *conv, s *slab[T]) *T {
	if cv.direct {
		return s.one()
	}
	return new(T)
}

// allocN returns an empty slice with room for n elements, as alloc returns one: its
// capacity is exactly n, so that an append beyond it reallocates.
func allocN[T any](cv *conv, s *slab[T], n int) []T {
	if cv.direct {
		return s.many(n)
	}
	return make([]T, 0, n)
}

// size sizes the first chunks of the slabs from the message: most small parts come from
// observations, so the number of OBX segments predicts them well; the rest grows
// geometrically from there.
func (p *parts) size(nOBX int) {
	p.observations.reserve(nOBX)
	p.ranges.reserve(nOBX)
	p.quantities.reserve(nOBX + 4)
	// The rest of a message (its header, patient, visit, orders) takes a few dozen
	// concepts and codings, and the identifiers of its resources and their assigners.
	p.concepts.reserve(2*nOBX + 24)
	p.codings.reserve(3*nOBX + 40)
	p.references.reserve(3*nOBX + 16) // its own, basedOn and the report's result
	p.identifiers.reserve(32)
}

// concept1 returns a CodeableConcept with one coding.
func (p *parts) concept1(c Coding) *CodeableConcept {
	cc := p.concepts.one()
	cc.Coding = append(p.codings.many(1), c)
	return cc
}

// ref1 returns a one-element slice holding r.
func (p *parts) ref1(r Reference) []Reference {
	return append(p.references.many(1), r)
}

// resourceIndex finds the resources of a conversion by id. It is an open-addressing table
// of the ids' bytes: holding no pointers, it costs the garbage collector nothing while it
// waits in the pool, and it needs no hashing of strings. The ids are SHA-1 based, whose
// bytes anyone can compute for a message, so the slot is chosen with a per-process random
// seed: a message cannot be crafted to make its ids collide.
type resourceIndex struct {
	slots []indexSlot // length a power of two
	n     int
}

var indexSeed = rand.Uint64() | 1

type indexSlot struct {
	id  uuid
	pos int32 // position in conv.ents plus one; 0 marks an empty slot
}

func (x *resourceIndex) reset() {
	if len(x.slots) == 0 {
		x.slots = make([]indexSlot, 128)
	} else {
		clear(x.slots)
	}
	x.n = 0
}

// home returns the first slot to look at for u: the top bits of its bytes times the seed
// (multiplicative hashing, whose top bits depend on every bit of the key).
func (x *resourceIndex) home(u uuid) int {
	h := (binary.LittleEndian.Uint64(u[:8]) ^ binary.LittleEndian.Uint64(u[8:])) * indexSeed
	return int(h >> (64 - bits.TrailingZeros(uint(len(x.slots)))))
}

// get returns the position of the resource with id u, or -1.
func (x *resourceIndex) get(u uuid) int {
	for i := x.home(u); ; i = (i + 1) & (len(x.slots) - 1) {
		s := &x.slots[i]
		if s.pos == 0 {
			return -1
		}
		if s.id == u {
			return int(s.pos - 1)
		}
	}
}

// put records that the resource with id u, not yet in the index, is at position pos.
func (x *resourceIndex) put(u uuid, pos int) {
	if 2*(x.n+1) > len(x.slots) { // keep the table at most half full
		old := x.slots
		x.slots = make([]indexSlot, 2*len(old))
		for _, s := range old {
			if s.pos != 0 {
				x.insert(s)
			}
		}
	}
	x.insert(indexSlot{id: u, pos: int32(pos + 1)})
	x.n++
}

func (x *resourceIndex) insert(s indexSlot) {
	i := x.home(s.id)
	for x.slots[i].pos != 0 {
		i = (i + 1) & (len(x.slots) - 1)
	}
	x.slots[i] = s
}
