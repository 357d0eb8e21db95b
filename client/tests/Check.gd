# Check loads every script and scene of the project and fails (exit code 1)
# when one does not load or cannot be instanced: parse errors, missing
# resources, broken scene files. Run: godot3-server --path client res://tests/Check.tscn
extends Node

var passed = 0
var failed = 0


func _ready() -> void:
	OS.exit_code = 1 # only a clean finish below makes it 0
	var files = []
	_collect("res://", files)
	files.sort()
	for path in files:
		_check(path)
	print("%d passed, %d failed" % [passed, failed])
	if failed == 0:
		OS.exit_code = 0
	get_tree().quit(OS.exit_code)


func _check(path: String) -> void:
	var res = load(path)
	if res == null:
		_fail(path, "does not load")
	elif not res.can_instance():
		_fail(path, "cannot be instanced")
	elif path.ends_with(".tscn"):
		var node = res.instance()
		if node == null:
			_fail(path, "instance() failed")
		else:
			node.free()
			passed += 1
	else:
		passed += 1


func _fail(path: String, why: String) -> void:
	failed += 1
	print("FAIL: %s %s" % [path, why])


func _collect(dir_path: String, out: Array) -> void:
	var dir = Directory.new()
	if dir.open(dir_path) != OK:
		_fail(dir_path, "cannot be listed")
		return
	dir.list_dir_begin(true, true)
	var name = dir.get_next()
	while name != "":
		var path = dir_path.plus_file(name)
		if dir.current_is_dir():
			if not name.begins_with("."):
				_collect(path, out)
		elif name.ends_with(".gd") or name.ends_with(".tscn"):
			out.append(path)
		name = dir.get_next()
	dir.list_dir_end()
