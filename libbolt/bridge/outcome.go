package bridge

// Outcome takes the result that Respond (true: the reply is in s.Reply) or an abandonment
// (false) left for s, for an owner that does not park in Wait: an event-loop front end
// collects the answered slots right after Respond delivered them (bench/looponly), so the
// value is already there and nothing parks. It blocks until there is one.
func (s *Slot) Outcome() bool { return <-s.done }
