// Package fakeuser generates the user-manager function's fake user records
// from a seed, the same in Go and in Rust (functions/rust/user-manager):
// word lists written for the project (words.txt, embedded here; `go
// generate` copies it into functions/rust/user-manager/src, whose build is
// staged without this directory, and TestRustCopy keeps the copy current) and draws from the shared SplitMix64 generator
// (functions/internal/prng).
//
// One generator, prng.New(seed), draws for each user in this order, every
// draw an IntN over the list or range named:
//
//  1. first name (first), 2. last name (last), 3. mail domain (domain),
//  4. username number [0, 100), 5. phone: first digit [2, 10) then nine
//     digits [0, 10), 6. house number [1, 10000), 7. street (street),
//  8. city (city), 9. country (country).
//
// Fields: Email = lower(first).lower(last)@domain; Username =
// lower(first)+lower(last)+number; Phone = the ten digits; Street = house
// number, a space, street. Lower case is ASCII (the lists are ASCII).
//
// It does not check that records are unique; it is not a general faker.
package fakeuser

import (
	_ "embed"
	"strconv"
	"strings"

	"github.com/faas-wasm/faas-wasm/functions/internal/prng"
)

//go:generate cp words.txt ../../rust/user-manager/src/words.txt

//go:embed words.txt
var words string

// User is one generated record, in the JSON shape the user store accepts.
type User struct {
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Email     string `json:"email"`
	Username  string `json:"username"`
	Phone     string `json:"phone"`
	Street    string `json:"street"`
	City      string `json:"city"`
	Country   string `json:"country"`
}

// Lists are the word lists by section name.
func Lists() map[string][]string {
	lists := map[string][]string{}
	section := ""
	for _, line := range strings.Split(words, "\n") {
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
		default:
			lists[section] = append(lists[section], line)
		}
	}
	return lists
}

// Generate returns n users drawn from prng.New(seed) by the rule above.
func Generate(seed uint64, n int) []User {
	l := Lists()
	r := prng.New(seed)
	pick := func(name string) string { return l[name][r.IntN(len(l[name]))] }
	users := make([]User, 0, n)
	for range n {
		first, last, domain := pick("first"), pick("last"), pick("domain")
		number := r.IntN(100)
		phone := make([]byte, 10)
		phone[0] = byte('2' + r.IntN(8))
		for i := 1; i < 10; i++ {
			phone[i] = byte('0' + r.IntN(10))
		}
		house := 1 + r.IntN(9999)
		street := pick("street")
		lf, ll := strings.ToLower(first), strings.ToLower(last)
		users = append(users, User{
			FirstName: first,
			LastName:  last,
			Email:     lf + "." + ll + "@" + domain,
			Username:  lf + ll + strconv.Itoa(number),
			Phone:     string(phone),
			Street:    strconv.Itoa(house) + " " + street,
			City:      pick("city"),
			Country:   pick("country"),
		})
	}
	return users
}
