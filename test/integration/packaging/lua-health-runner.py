"""Runs Argo CD resource health scripts in a real Lua 5.1 VM (lupa.lua51), the way Argo CD runs them in
gopher-lua: the resource as the global `obj`, the script's returned table as the health status, and no os/io
libraries (Argo CD's sandbox lacks them, so a script using them must fail here too).

stdin: JSON {"cases": [{"script": "<path of health.lua>", "obj": {...}}]}
stdout: JSON [{"status": ..., "message": ...} | {"error": "..."}] in the same order.
"""
import json
import sys

import lupa.lua51 as lua51


def to_lua(runtime, value):
    if isinstance(value, dict):
        return runtime.table_from({k: to_lua(runtime, v) for k, v in value.items()})
    if isinstance(value, list):
        return runtime.table_from([to_lua(runtime, v) for v in value])
    return value


def run(script_path, obj):
    runtime = lua51.LuaRuntime(register_eval=False, register_builtins=False)
    assert runtime.eval("_VERSION") == "Lua 5.1"
    g = runtime.globals()
    for unsafe in ("os", "io", "debug", "package", "require", "dofile", "loadfile", "python"):
        g[unsafe] = None
    g.obj = to_lua(runtime, obj)
    with open(script_path, encoding="utf-8") as f:
        source = f.read()
    result = runtime.execute(source)
    if result is None:
        return {"error": "the script returned nothing"}
    return {"status": result["status"], "message": result["message"]}


def main():
    request = json.load(sys.stdin)
    out = []
    for case in request["cases"]:
        try:
            out.append(run(case["script"], case["obj"]))
        except Exception as err:  # a Lua error is a test result, not a crash of the runner
            out.append({"error": f"{type(err).__name__}: {err}"})
    json.dump(out, sys.stdout)


main()
