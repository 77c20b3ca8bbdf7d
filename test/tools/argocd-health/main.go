// argocd-health runs Argo CD resource health scripts the way Argo CD runs a script from argocd-cm
// (resource.customizations.health.<group>_<Kind>, without health.lua.useOpenLibs): in gopher-lua with only the
// base, package and table libraries and an os table holding just time and date, the resource as the global obj,
// an empty actionParams table, a one-second deadline, and the returned table read as a health status whose
// status must be one of Argo CD's codes. The pinned gopher-lua and gopher-json are the versions Argo CD builds with
// (scripts/versions.env).
//
// stdin: {"cases": [{"script": "<path>", "obj": {...}}] | "probe": "<lua source>"}.
// stdout: a JSON array of {"status", "message"} or {"error"} per case; for a probe, what the chunk returned.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
	luajson "layeh.com/gopher-json"
)

type request struct {
	Cases []struct {
		Script string          `json:"script"`
		Obj    json.RawMessage `json:"obj"`
	} `json:"cases"`
	Probe *string `json:"probe"`
}

type outcome struct {
	Status  string `json:"status,omitempty"`
	Message string `json:"message,omitempty"`
	Error   string `json:"error,omitempty"`
}

// The health codes Argo CD accepts from a script; anything else becomes Unknown with this message.
var healthCodes = map[string]bool{"Unknown": true, "Progressing": true, "Suspended": true, "Healthy": true, "Degraded": true, "Missing": true}

const invalidHealthStatus = "Lua returned an invalid health status"

func main() {
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		fail("stdin is not a request: %v", err)
	}
	var out any
	if req.Probe != nil {
		out = probe(*req.Probe)
	} else {
		results := make([]outcome, 0, len(req.Cases))
		for _, c := range req.Cases {
			script, err := os.ReadFile(c.Script)
			if err != nil {
				fail("%v", err)
			}
			results = append(results, health(string(script), c.Obj))
		}
		out = results
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fail("%v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "argocd-health: "+format+"\n", args...)
	os.Exit(2)
}

// newState builds the VM: nothing opened by gopher-lua itself, then the libraries Argo CD opens.
func newState() (*lua.LState, context.CancelFunc) {
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.OsLibName, openTimeOnlyOs},
	} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			fail("opening %s: %v", lib.name, err)
		}
	}
	l.PreloadModule(lua.OsLibName, func(l *lua.LState) int {
		l.Push(l.GetGlobal(lua.OsLibName))
		return 1
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	l.SetContext(ctx)
	l.SetGlobal("actionParams", l.CreateTable(0, 0))
	return l, cancel
}

// openTimeOnlyOs registers an os table with only time and date: gopher-lua's own functions, taken from its full
// os library in a scratch VM, the others (execute, exit, getenv, remove, rename, tmpname, clock...) left out.
func openTimeOnlyOs(l *lua.LState) int {
	scratch := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer scratch.Close()
	scratch.Push(scratch.NewFunction(lua.OpenOs))
	scratch.Call(0, 1)
	full := scratch.Get(-1).(*lua.LTable)
	safe := l.NewTable()
	for _, name := range []string{"time", "date"} {
		fn := full.RawGetString(name).(*lua.LFunction)
		safe.RawSetString(name, l.NewFunction(fn.GFunction))
	}
	l.SetGlobal(lua.OsLibName, safe)
	l.Push(safe)
	return 1
}

func health(script string, rawObj json.RawMessage) outcome {
	l, cancel := newState()
	defer cancel()
	defer l.Close()
	obj, err := decodeObject(rawObj)
	if err != nil {
		return outcome{Error: err.Error()}
	}
	l.SetGlobal("obj", toLua(l, obj))
	if err := l.DoString(script); err != nil {
		return outcome{Error: err.Error()}
	}
	ret := l.Get(-1)
	if ret.Type() != lua.LTTable {
		return outcome{Error: fmt.Sprintf("expect table output from Lua script, not %s", ret.Type().String())}
	}
	encoded, err := luajson.Encode(ret)
	if err != nil {
		return outcome{Error: err.Error()}
	}
	var hs struct {
		Status  string `json:"status"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(encoded, &hs); err != nil {
		return outcome{Error: err.Error()}
	}
	if !healthCodes[hs.Status] {
		return outcome{Status: "Unknown", Message: invalidHealthStatus}
	}
	return outcome{Status: hs.Status, Message: hs.Message}
}

// probe runs a chunk in the same VM and returns its first result as a string (what a test asks of the sandbox).
func probe(source string) map[string]string {
	l, cancel := newState()
	defer cancel()
	defer l.Close()
	if err := l.DoString(source); err != nil {
		return map[string]string{"error": strings.TrimSpace(err.Error())}
	}
	return map[string]string{"result": l.Get(-1).String()}
}

// decodeObject reads the resource as Argo CD's cluster cache holds it (unstructured JSON: whole numbers as
// int64, others as float64).
func decodeObject(raw json.RawMessage) (any, error) {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return numbers(v), nil
}

func numbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = numbers(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = numbers(e)
		}
		return x
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	}
	return v
}

// toLua converts the decoded resource to Lua values: objects to hash tables, arrays to array tables.
func toLua(l *lua.LState, v any) lua.LValue {
	switch x := v.(type) {
	case bool:
		return lua.LBool(x)
	case int64:
		return lua.LNumber(x)
	case float64:
		return lua.LNumber(x)
	case string:
		return lua.LString(x)
	case []any:
		t := l.CreateTable(len(x), 0)
		for _, e := range x {
			t.Append(toLua(l, e))
		}
		return t
	case map[string]any:
		t := l.CreateTable(0, len(x))
		for k, e := range x {
			t.RawSetH(lua.LString(k), toLua(l, e))
		}
		return t
	}
	return lua.LNil
}
