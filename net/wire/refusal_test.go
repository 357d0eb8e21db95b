package wire

import (
	"strings"
	"testing"
	"time"
)

// TestRefusalText checks the words of refusals, the original server's as
// its client knows them (docs/protocol.md) and those that name something.
func TestRefusalText(t *testing.T) {
	t.Parallel()
	until := time.Date(2030, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))
	tests := []struct {
		r    Refusal
		want string
	}{
		{Refusal{}, ""},
		{Refusal{Code: Credentials}, "Username or password incorrect"},
		{Refusal{Code: LoggedIn}, "You are already logged in"},
		{Refusal{Code: EmptyCredentials}, "Username or password must not be empty"},
		{Refusal{Code: Taken}, "This username is already taken"},
		{Refusal{Code: UnknownAction, Arg: "Fly"}, `Unknown action "Fly"`},
		{Refusal{Code: UnknownAction, Arg: strings.Repeat("x", 40)}, `Unknown action "` + strings.Repeat("x", 32) + `…"`},
		{Refusal{Code: MissingPayloads, Arg: ActRegister}, "Register needs 3 payloads (p0 to p2)"},
		{Refusal{Code: NotText, Arg: ActLogin}, "Login needs a text username and password"},
		{Refusal{Code: ModRefused, Arg: "wave needs one text"}, "wave needs one text"},
		{Refusal{Code: ModArgs, Arg: "wave"}, "wave: arguments not understood"},
		{Refusal{Code: ModSlow, Arg: "wave"}, "Slow down: too many wave"},
		{Refusal{Code: AccountLocked, Wait: 299600 * time.Millisecond}, "Too many failed logins for this account from your address; try again in 5m0s"},
		{Refusal{Code: AddressLocked, Wait: time.Millisecond}, "Too many failed logins from your address; try again in 1s"},
		{Refusal{Code: AccountBusy, Wait: 50 * time.Second}, "Too many failed logins for this account; try again in 50s"},
		{Refusal{Code: Banned}, "This account is banned"},
		{Refusal{Code: Banned, Arg: "spam", Until: until}, "This account is banned until 2030-01-02T02:04:05Z: spam"},
	}
	for _, tc := range tests {
		if got := tc.r.Text(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.r, got, tc.want)
		}
	}
}
