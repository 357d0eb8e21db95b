//go:build linux

package server

import (
	"bytes"
	"image/png"
	"math"
	"testing"
	"time"
)

// pageItem is an item on the ground as the page shows it.
type pageItem struct {
	ID     int64
	X, Y   float64 // world units
	SX, SY float64 // canvas pixels
}

// testBrowserMods plays the example mods in the HTML5 export on a 390×844
// phone with touch: NPCs are drawn as such; a tap on the Wave button shows
// the bubble over the player's head and a second player (a Go client over
// v2) gets the emote; a tap on an item walks the player onto it: it
// vanishes and the inventory count the page shows goes up.
func testBrowserMods(t *testing.T, web string) {
	app, _ := startApp(t, testConfig(t, t.TempDir(), "-web", web, "-npcs", "60", "-items", "400"))
	scr := browserScreen{w: 390, h: 844, dpr: 3, touch: true}
	p := openPage(t, scr, "http://"+app.Addr()+"/?state")
	s := p.wait("the login screen, connected over v2", time.Minute, func(s pageState) bool {
		return s.Screen == "login" && s.Online && s.Proto == "v2"
	})
	p.fill(s, "username", "Username", "mia")
	p.fill(s, "password", "Password", "pw-mia")
	p.press(s, "register")
	s = p.wait("the world, and the count asked for after the login", 20*time.Second, func(s pageState) bool {
		return s.Screen == "world" && s.own() != nil && s.Inventory == 0
	})
	p.checkReadable(s, "emote")
	miaID := s.own().ID
	vic, vicID, _ := loginV2(t, app.Addr(), "vic")
	s = p.wait("vic and an NPC in view", 20*time.Second, func(s pageState) bool {
		return s.actor("vic") != nil && s.npc() != nil
	})
	t.Logf("the page shows NPC %q", s.npc().Name)

	// The emote: a tap on Wave.
	p.press(s, "emote")
	m := vic.await("mia's emote", isMessage("emote", miaID))
	if string(m.Data) != `{"emote":"wave"}` {
		t.Errorf("vic got %v, want mia's wave", m)
	}
	s = p.wait("the bubble over mia's head", 10*time.Second, func(s pageState) bool {
		return s.EmotesSent == 1 && s.own().Emote == "wave"
	})
	if s.Walks != 0 {
		t.Errorf("a tap on the Wave button walked (%d walks)", s.Walks)
	}
	p.shot("client-phone-mods.png", func(img []byte) {
		decoded, err := png.Decode(bytes.NewReader(img))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		checkNotBlank(t, "client-phone-mods.png", decoded)
		// The gems' colour (client/world/Item.gd) is on the screen.
		if n := countNear(decoded, 115, 242, 230, 12); n < 30 {
			t.Errorf("client-phone-mods.png: %d pixels of the gems' colour, want at least 30", n)
		}
	})

	// The pickup: a tap on the nearest item a tap can reach.
	item := s.reachableItem()
	if item == nil {
		t.Fatalf("no item on the screen clear of the controls: %+v", s.Items)
	}
	t.Logf("tapping item %d, %.0f units away", item.ID, math.Hypot(item.X-s.own().X, item.Y-s.own().Y))
	p.pressAt(item.SX/s.DPR, item.SY/s.DPR)
	s = p.wait("the item picked up, and the count up", 60*time.Second, func(s pageState) bool {
		return !s.hasItem(item.ID) && s.Inventory >= 1
	})
	if n := inventoryOf(t, vic, vicID); n != 0 {
		t.Errorf("vic, who picked nothing up, carries %v", n)
	}
}

func (s pageState) npc() *pageActor {
	for i := range s.Actors {
		if s.Actors[i].Kind == "npc" {
			return &s.Actors[i]
		}
	}
	return nil
}

func (s pageState) hasItem(id int64) bool {
	for _, it := range s.Items {
		if it.ID == id {
			return true
		}
	}
	return false
}

// reachableItem is the item nearest the player whose point on the canvas
// is on the screen and clear of every control (a tap there walks).
func (s pageState) reachableItem() *pageItem {
	own := s.own()
	var best *pageItem
	for i := range s.Items {
		it := &s.Items[i]
		clear := it.SX > 20 && it.SY > 20 && it.SX < s.Window[0]-20 && it.SY < s.Window[1]-20
		for _, r := range s.Rects {
			clear = clear && !(it.SX > r[0]-20 && it.SX < r[0]+r[2]+20 && it.SY > r[1]-20 && it.SY < r[1]+r[3]+20)
		}
		if clear && (best == nil || math.Hypot(it.X-own.X, it.Y-own.Y) < math.Hypot(best.X-own.X, best.Y-own.Y)) {
			best = it
		}
	}
	return best
}
