package bridge

// Client disconnects (shared/reliability.md): a request whose client went away while
// Python works on it is abandoned like a timed-out one, so the task is cancelled and the
// slot freed instead of running to its timeout for nobody.

// goneCheckEvery is how many sweeps pass between two checks of the waiting requests'
// connections (10 x SweepInterval = 100 ms): each check is a syscall per waiting request.
const goneCheckEvery = 10

// SubmitWatched queues the slot's request like Submit; gone (nil: not watched) reports
// whether the client has gone away. The sweeper calls it from its own goroutine every
// 100 ms while the request waits, without b.mu held.
func (b *Bridge) SubmitWatched(s *Slot, gone func() bool) {
	b.mu.Lock()
	s.gone = gone
	b.push(entry{id: s.ID(), kind: KindRequest})
	b.mu.Unlock()
}

// Disconnected reports whether Wait returned false because the client went away. Only the
// slot's owner calls it, after Wait.
func (s *Slot) Disconnected() bool { return s.disconnected }

// checkGone abandons the waiting requests whose client went away and queues a cancel
// record for each.
func (b *Bridge) checkGone() {
	type candidate struct {
		s    *Slot
		id   uint64
		gone func() bool
	}
	var cands []candidate
	b.mu.Lock()
	for _, s := range b.slots {
		if s.state == slotWaiting && s.gone != nil {
			cands = append(cands, candidate{s, s.ID(), s.gone})
		}
	}
	b.mu.Unlock()
	var woken []*Slot
	for _, c := range cands {
		if !c.gone() {
			continue
		}
		b.mu.Lock()
		// The id check: the request may have been answered, and the slot reused, while
		// gone() ran.
		if c.s.ID() == c.id && c.s.state == slotWaiting {
			c.s.state = slotAbandoned
			c.s.disconnected = true
			b.push(entry{id: c.id, kind: KindCancel})
			woken = append(woken, c.s)
		}
		b.mu.Unlock()
	}
	for _, s := range woken {
		s.done <- struct{}{}
	}
}
