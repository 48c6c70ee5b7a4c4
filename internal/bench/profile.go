package bench

import "time"

// Profile sets how much each phase measures. Every phase is bounded in
// requests and time.
type Profile struct {
	// Name is "full" or "quick".
	Name string `json:"name"`
	// DeployRounds is the number of deploy → first 200 rounds after the
	// first (uncached) deploy.
	DeployRounds int `json:"deployRounds"`
	// ColdRounds is the number of scale to zero → first 200 rounds.
	ColdRounds int `json:"coldRounds"`
	// Serial bounds each serial phase (keep-alive off, then on).
	Serial Load `json:"serial"`
	// Concurrent is the study's 5 workers × 5 rps load.
	Concurrent Load `json:"concurrent"`
	// Max is the max-throughput load.
	Max Load `json:"max"`
	// Functions restricts the run to these base names when not empty.
	Functions []string `json:"functions,omitempty"`
}

// studyConcurrent is the study's concurrent setting: 5 workers, each at
// 5 requests per second, keep-alive off (hey -c 5 -q 5 -disable-keepalive).
func studyConcurrent(d time.Duration) Load {
	return Load{Workers: 5, Interval: 200 * time.Millisecond, MaxRequests: int(25*d.Seconds()) + 25, MaxDuration: d}
}

// FullProfile is the profile of a publishable run: 20 deploy rounds, the
// study's one-minute concurrent load, serial phases of ≤ 2000 requests or
// 20 s (the study's were 5 minutes; the flags can lengthen them).
func FullProfile() Profile {
	return Profile{
		Name:         "full",
		DeployRounds: 20,
		ColdRounds:   5,
		Serial:       Load{Workers: 1, MaxRequests: 2000, MaxDuration: 20 * time.Second},
		Concurrent:   studyConcurrent(time.Minute),
		Max:          Load{Workers: 8, KeepAlive: true, MaxRequests: 50000, MaxDuration: 10 * time.Second},
	}
}

// QuickFunctions is the subset --quick measures unless --functions is
// given: one CPU-heavy function, one light one, and the two that need
// services (fuzzysearch: the Hamlet server; user-manager: PostgreSQL).
var QuickFunctions = []string{"aes", "prime-numbers", "fuzzysearch", "user-manager"}

// QuickProfile is a smoke profile that finishes within minutes.
func QuickProfile() Profile {
	return Profile{
		Name:         "quick",
		DeployRounds: 2,
		ColdRounds:   1,
		Serial:       Load{Workers: 1, MaxRequests: 200, MaxDuration: 2 * time.Second},
		Concurrent:   studyConcurrent(4 * time.Second),
		Max:          Load{Workers: 4, KeepAlive: true, MaxRequests: 5000, MaxDuration: time.Second},
		Functions:    QuickFunctions,
	}
}
