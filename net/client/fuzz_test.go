package client

import (
	"reflect"
	"testing"

	"github.com/godmmo/godmmo/net/wire"
)

// FuzzDecode feeds any bytes to both protocols' decoders: never a panic,
// and decoding only the ids of others' packets reads the same packets, of
// the same kinds and ids, as decoding everything (when both succeed).
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"full.json", "move.json", "deny.json", "chat.json", "disconnect.json", "v2_login.json", "v2_tick.json", "v2_mods.json"} {
		f.Add(golden(f, name))
	}
	f.Add(`[["T",12],["hello",{"rate":20}],["E",1,"a",0,1,2,3,4,5,"npc",null,9],["M",1,2,3,4,5,6,7,"x"]]`)
	f.Fuzz(func(t *testing.T, msg string) {
		for _, p := range []wire.Protocol{wire.V1, wire.V2} {
			all, errAll := decodeAll(p, nil, msg)
			ids, errIDs := decodeAll(p, none, msg)
			if errAll != nil || errIDs != nil {
				continue
			}
			if len(all) != len(ids) {
				t.Fatalf("%v %q: %d packets in full, %d by id", p, msg, len(all), len(ids))
			}
			for i := range all {
				if all[i].Kind != ids[i].Kind || all[i].ID != ids[i].ID {
					t.Fatalf("%v %q: packet %d is %v %d in full, %v %d by id", p, msg, i, all[i].Kind, all[i].ID, ids[i].Kind, ids[i].ID)
				}
				if !reflect.DeepEqual(all[i], ids[i]) && all[i].Kind != Enter && all[i].Kind != Move {
					t.Fatalf("%v %q: packet %d of kind %v differs by id: %+v vs %+v", p, msg, i, all[i].Kind, all[i], ids[i])
				}
			}
		}
	})
}
