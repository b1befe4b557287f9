/**
 * Functions whose effect reaches outside the data this statement names: other sessions, the
 * server's files and programs, its configuration and WAL, replication, the network, or tables read
 * by a name held in a string (so they never show among the objects). A call to any of them makes
 * the statement `dangerous`.
 *
 * Matched on the name without its schema, whatever the schema: dblink lives in whichever schema
 * its extension was created in, and a function elsewhere that borrows one of these names gains
 * nothing by it but an approval.
 *
 * Decided against:
 * - pg_sleep: only holds the caller's own connection (see read-only-functions.ts).
 * - lo_unlink, lo_create, lowrite, ...: change large objects inside the database, which is a write
 *   (they are on neither list), not an escape. lo_import and lo_export touch server files: here.
 * - pg_advisory_lock and friends: block other sessions that use the same keys, which is what
 *   LOCK does, so they are writes like LOCK (on neither list), not dangerous.
 * - current_setting: reads one setting.
 * - set_config: judged like SET by the setting it names and the value it gives (setting-kinds.ts):
 *   `role`, `search_path` and the like are `privilege`, `client_encoding` other than UTF8 is
 *   `dangerous`, a name the classifier cannot read is all of them.
 * - pg_notify: like NOTIFY, a `write` (on neither list): listeners in other sessions act on it.
 * - nextval, setval: change a sequence for every session, a `write` (on neither list); currval and
 *   lastval only read this session's state and are read-only.
 */

const EXACT = new Set(
  `pg_terminate_backend pg_cancel_backend pg_log_backend_memory_contexts
   pg_reload_conf pg_rotate_logfile pg_rotate_logfile_old pg_promote pg_switch_wal pg_create_restore_point
   pg_backup_start pg_backup_stop pg_start_backup pg_stop_backup pg_wal_replay_pause pg_wal_replay_resume
   pg_stat_file lo_import lo_export pg_logdir_ls
   pg_create_physical_replication_slot pg_create_logical_replication_slot pg_drop_replication_slot
   pg_copy_physical_replication_slot pg_copy_logical_replication_slot pg_replication_slot_advance
   pg_sync_replication_slots
   query_to_xml query_to_xmlschema query_to_xml_and_xmlschema cursor_to_xml cursor_to_xmlschema
   table_to_xml table_to_xmlschema table_to_xml_and_xmlschema schema_to_xml schema_to_xmlschema
   schema_to_xml_and_xmlschema database_to_xml database_to_xmlschema database_to_xml_and_xmlschema
   ts_stat ts_rewrite`.split(/\s+/),
);

/**
 * Families: server directory listings (pg_ls_dir, pg_ls_waldir, ...), server file reads
 * (pg_read_file, pg_read_binary_file), adminpack file writes (pg_file_write, pg_file_unlink, ...),
 * logical decoding (pg_logical_slot_get_changes reads every table's changes), replication origins,
 * and dblink (connections from the server, around this proxy).
 */
const PREFIXES = ['pg_ls_', 'pg_read_', 'pg_file_', 'pg_logical_', 'pg_replication_origin_', 'dblink'];

/** `name` is the lower-cased function name without its schema. */
export function isDangerousFunction(name: string): boolean {
  return EXACT.has(name) || PREFIXES.some((prefix) => name.startsWith(prefix));
}
