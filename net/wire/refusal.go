package wire

import (
	"fmt"
	"time"
)

// Refusal is why the server refuses a client's request: the Code the
// server's code tests, and what the code's words name when they name
// something. It becomes the words a person reads (Text) only when a Deny
// is encoded. The zero Refusal refuses nothing.
type Refusal struct {
	Code Code
	// Arg is what the words name: the action (UnknownAction,
	// MissingPayloads, NotText) or mod command (ModArgs, ModSlow), a mod's
	// own words (ModRefused), a ban's reason (Banned; "" for none).
	Arg string
	// Wait is how long a lockout lasts (AccountLocked, AccountBusy, AddressLocked).
	Wait time.Duration
	// Until is when a ban ends (Banned); zero: never.
	Until time.Time
}

// Code is a kind of refusal.
type Code uint8

// The refusals. The first four are the original server's, whose words
// the original client knows (docs/protocol.md); the others explain the
// rule that was broken.
const (
	// Credentials: a wrong password and an unknown name alike.
	Credentials Code = iota + 1
	// LoggedIn: the account plays already, or this connection does.
	LoggedIn
	// EmptyCredentials: a username or password is empty (checked first).
	EmptyCredentials
	// Taken: the username belongs to an account, whatever its case.
	Taken
	BadUsername
	LongPassword
	BadAvatar
	// NotText: a Register's or Login's username or password is not text.
	NotText
	ChatTooLong
	ChatControl
	ChatDirection
	ChatLines
	ChatMarks
	Muted
	NotLoggedIn
	NotPacket
	UnknownAction
	MissingPayloads
	// Busy: too many logins wait for a password hash.
	Busy
	// Unavailable: the database did not answer.
	Unavailable
	// Unreachable: the region that holds the actor cannot be reached.
	Unreachable
	ResumeToken
	// Resumed: the token's login has ended, or is resumed elsewhere.
	Resumed
	// ModRefused is a mod's command refused by its check, in the mod's words.
	ModRefused
	// ModArgs: a mod's check failed (panicked, or returned what is not JSON).
	ModArgs
	ModSlow
	Registrations
	// AccountLocked: failed logins of the account from this address.
	AccountLocked
	// AccountBusy: failed logins of the account from everywhere.
	AccountBusy
	// AddressLocked: failed logins from this address, of every account.
	AddressLocked
	Banned
)

// words are the texts of the refusals that name nothing; those that do
// have a format, with a verb for what they name.
var words = [...]string{
	Credentials:      "Username or password incorrect",
	LoggedIn:         "You are already logged in",
	EmptyCredentials: "Username or password must not be empty",
	Taken:            "This username is already taken",
	BadUsername:      "Username must be at most 32 letters, digits, _ or -",
	LongPassword:     "Password must be at most 72 bytes",
	BadAvatar:        "Avatar must be a whole number from 0 to 5",
	NotText:          "%s needs a text username and password",
	ChatTooLong:      "Message must be at most 256 characters",
	ChatControl:      "Message must not contain control characters",
	ChatDirection:    "Message must not contain text direction overrides",
	ChatLines:        "Message must be one line",
	ChatMarks:        "Message must not stack more than 8 marks on one letter",
	Muted:            "You are muted",
	NotLoggedIn:      "Log in first",
	NotPacket:        "Packets must be JSON objects with a string \"a\"",
	UnknownAction:    "Unknown action %q",
	MissingPayloads:  "%s needs %d payloads (p0 to p%d)",
	Busy:             "The server is busy, please try again",
	Unavailable:      "The server cannot reach its database, please try again",
	Unreachable:      "That part of the world is unavailable, please try again shortly",
	ResumeToken:      "Resume needs the token the last Ok gave",
	Resumed:          "That session has ended, please log in again",
	ModRefused:       "%s",
	ModArgs:          "%s: arguments not understood",
	ModSlow:          "Slow down: too many %s",
	Registrations:    "Too many new accounts from your address; try again later",
	AccountLocked:    "Too many failed logins for this account from your address; try again in %v",
	AccountBusy:      "Too many failed logins for this account; try again in %v",
	AddressLocked:    "Too many failed logins from your address; try again in %v",
	Banned:           "This account is banned",
}

// Refused reports whether r refuses anything.
func (r Refusal) Refused() bool { return r.Code != 0 }

// Text is what the client reads: the refusal's words, with what they name.
func (r Refusal) Text() string {
	w := words[r.Code]
	switch r.Code {
	case NotText, ModRefused, ModArgs, ModSlow:
		return fmt.Sprintf(w, r.Arg)
	case UnknownAction:
		return fmt.Sprintf(w, Truncate(r.Arg, 32))
	case MissingPayloads:
		n := payloadCount[r.Arg]
		return fmt.Sprintf(w, r.Arg, n, n-1)
	case AccountLocked, AccountBusy, AddressLocked:
		return fmt.Sprintf(w, max(time.Second, r.Wait.Round(time.Second))) // whole seconds, never "0s"
	case Banned:
		if !r.Until.IsZero() {
			w += " until " + r.Until.UTC().Format(time.RFC3339)
		}
		if r.Arg != "" {
			w += ": " + r.Arg
		}
	}
	return w
}
