// Package function is the study's n-body function: the benchmarks-game
// simulation of the four Jovian planets around the Sun, advanced with a
// simple symplectic integrator.
//
// Query: none needed; n (steps, default 1000) and dt are fixed by the
// benchmark except n, which may be given (at most 50,000,000). The answer
// is the system's energy before and after, with nine decimals, as the
// benchmarks game prints it.
package function

import (
	"fmt"
	"math"
	"net/http"

	"github.com/faas-wasm/faas-wasm/functions/internal/params"
)

const (
	solarMass   = 4 * math.Pi * math.Pi
	daysPerYear = 365.24
	dt          = 0.01
)

type body struct {
	x, y, z, vx, vy, vz, mass float64
}

// Result is the answer of Handle.
type Result struct {
	Steps  int64  `json:"steps"`
	Before string `json:"energy_before"`
	After  string `json:"energy_after"`
}

// Handle answers the JSON Result for the query's n (default 1000).
func Handle(w http.ResponseWriter, r *http.Request) {
	n, err := params.Int(r, "n", 1000, 0, 50_000_000)
	if err != nil {
		params.Error(w, http.StatusBadRequest, err)
		return
	}
	before, after := Simulate(int(n))
	params.JSON(w, Result{Steps: n, Before: fmt.Sprintf("%.9f", before), After: fmt.Sprintf("%.9f", after)})
}

// Simulate advances the system n steps and returns its energy before and
// after.
func Simulate(n int) (before, after float64) {
	sys := planets()
	offsetMomentum(sys)
	before = energy(sys)
	for range n {
		advance(sys)
	}
	return before, energy(sys)
}

// planets returns the Sun, Jupiter, Saturn, Uranus and Neptune; positions in
// AU, velocities in AU per year, masses in solar masses times 4π².
func planets() []body {
	p := func(x, y, z, vx, vy, vz, m float64) body {
		return body{x, y, z, vx * daysPerYear, vy * daysPerYear, vz * daysPerYear, m * solarMass}
	}
	return []body{
		{mass: solarMass},
		p(4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
			1.66007664274403694e-03, 7.69901118419740425e-03, -6.90460016972063023e-05, 9.54791938424326609e-04),
		p(8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
			-2.76742510726862411e-03, 4.99852801234917238e-03, 2.30417297573763929e-05, 2.85885980666130812e-04),
		p(1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
			2.96460137564761618e-03, 2.37847173959480950e-03, -2.96589568540237556e-05, 4.36624404335156298e-05),
		p(1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
			2.68067772490389322e-03, 1.62824170038242295e-03, -9.51592254519715870e-05, 5.15138902046611451e-05),
	}
}

// offsetMomentum gives the Sun the velocity that makes the total momentum 0.
func offsetMomentum(sys []body) {
	var px, py, pz float64
	for _, b := range sys {
		px += b.vx * b.mass
		py += b.vy * b.mass
		pz += b.vz * b.mass
	}
	sys[0].vx, sys[0].vy, sys[0].vz = -px/solarMass, -py/solarMass, -pz/solarMass
}

func advance(sys []body) {
	for i := range sys {
		a := &sys[i]
		for j := i + 1; j < len(sys); j++ {
			b := &sys[j]
			dx, dy, dz := a.x-b.x, a.y-b.y, a.z-b.z
			d2 := dx*dx + dy*dy + dz*dz
			mag := dt / (d2 * math.Sqrt(d2))
			a.vx -= dx * b.mass * mag
			a.vy -= dy * b.mass * mag
			a.vz -= dz * b.mass * mag
			b.vx += dx * a.mass * mag
			b.vy += dy * a.mass * mag
			b.vz += dz * a.mass * mag
		}
	}
	for i := range sys {
		b := &sys[i]
		b.x += dt * b.vx
		b.y += dt * b.vy
		b.z += dt * b.vz
	}
}

func energy(sys []body) float64 {
	var e float64
	for i, a := range sys {
		e += 0.5 * a.mass * (a.vx*a.vx + a.vy*a.vy + a.vz*a.vz)
		for _, b := range sys[i+1:] {
			dx, dy, dz := a.x-b.x, a.y-b.y, a.z-b.z
			e -= a.mass * b.mass / math.Sqrt(dx*dx+dy*dy+dz*dz)
		}
	}
	return e
}
