package net

// Metrics hears what happens at the edge. Its methods are called from many
// goroutines and must be safe for that and quick.
type Metrics interface {
	PacketIn(bytes int)
	PacketOut(bytes int)
	BadPacket()
	Login(ok bool)
	Online(delta int)
	SlowClient()
	// DatabaseError counts a request that failed on the database.
	DatabaseError()
}

type nopMetrics struct{}

func (nopMetrics) PacketIn(int)   {}
func (nopMetrics) PacketOut(int)  {}
func (nopMetrics) BadPacket()     {}
func (nopMetrics) Login(bool)     {}
func (nopMetrics) Online(int)     {}
func (nopMetrics) SlowClient()    {}
func (nopMetrics) DatabaseError() {}
