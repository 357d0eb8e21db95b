# plugin.gd adds the GodmmoClient node type to the editor's Create Node
# dialog while the plugin is on (Project Settings → Plugins). A game needs
# no plugin to use the addon: a Node with Client.gd as its script does the
# same.
tool
extends EditorPlugin


func _enter_tree() -> void:
	add_custom_type("GodmmoClient", "Node", preload("res://addons/godmmo/Client.gd"), null)


func _exit_tree() -> void:
	remove_custom_type("GodmmoClient")
