/**
 * Built-in functions known not to change anything: calling them leaves the statement's kinds as
 * they are. Any function that is neither here nor in `dangerous-functions.ts` makes its statement
 * a `write`, because a user function (CREATE FUNCTION, then call it) or a built-in such as
 * nextval/setval/pg_advisory_lock can change data or other sessions, and the classifier cannot see
 * inside it. So this list errs short: a missing read-only function costs an approval, an extra
 * one would let a write pass as a read.
 *
 * Matched on the unqualified or `pg_catalog.`-qualified name only: `public.lower` is someone's
 * function, not this one. Almost all of these are IMMUTABLE or STABLE in pg_proc; the VOLATILE
 * ones are in REVIEWED_VOLATILE_FUNCTIONS below, each with the reason it is harmless, and a test
 * holds the list to a real server's pg_proc. STABLE is not proof on its own (txid_current is
 * STABLE and assigns a transaction id), which is why this list is reviewed by hand. Functions
 * that read a table named in a string (table_to_xml, query_to_xml, ts_stat) are deliberately
 * absent: they are in dangerous-functions.ts, because the tables they read never appear among the
 * objects.
 *
 * SQL syntax that the grammar turns into calls (EXTRACT, SUBSTRING ... FROM, AT TIME ZONE, TRIM,
 * POSITION, OVERLAY, COLLATION FOR) is not listed: the classifier skips those calls, since the
 * grammar, not the caller, chose a pg_catalog built-in. COALESCE, NULLIF, GREATEST, LEAST,
 * CURRENT_USER, CURRENT_TIMESTAMP and friends are expression nodes, not function calls.
 */

const AGGREGATES_AND_WINDOWS = [
  `any_value array_agg avg bit_and bit_or bit_xor bool_and bool_or corr count covar_pop covar_samp cume_dist
   dense_rank every first_value json_agg json_agg_strict json_object_agg json_object_agg_strict
   json_object_agg_unique json_object_agg_unique_strict jsonb_agg jsonb_agg_strict jsonb_object_agg
   jsonb_object_agg_strict jsonb_object_agg_unique jsonb_object_agg_unique_strict lag last_value lead max min mode
   nth_value ntile percent_rank percentile_cont percentile_disc range_agg range_intersect_agg rank regr_avgx
   regr_avgy regr_count regr_intercept regr_r2 regr_slope regr_sxx regr_sxy regr_syy row_number stddev stddev_pop
   stddev_samp string_agg sum var_pop var_samp variance xmlagg`,
];

const MATH = [
  `abs acos acosd acosh asin asind asinh atan atan2 atan2d atand atanh cbrt ceil ceiling cos cosd cosh cot cotd
   degrees div erf erfc exp factorial floor gamma gcd lcm lgamma ln log log10 min_scale mod pi pow power radians
   round scale sign sin sind sinh sqrt tan tand tanh trim_scale trunc width_bucket`,
];

const STRINGS_AND_BYTES = [
  `ascii bit_count bit_length btrim casefold char_length character_length chr concat concat_ws convert convert_from
   convert_to crc32 crc32c decode encode format get_bit get_byte initcap left length lower lpad ltrim md5 normalize
   octet_length overlay parse_ident pg_client_encoding position quote_ident quote_literal quote_nullable
   regexp_count regexp_instr regexp_like regexp_match regexp_matches regexp_replace regexp_split_to_array
   regexp_split_to_table regexp_substr repeat replace reverse right rpad rtrim set_bit set_byte sha224 sha256
   sha384 sha512 similar_to_escape split_part starts_with string_to_array string_to_table strpos substr substring
   to_ascii to_bin to_hex to_oct translate unistr upper`,
];

const FORMATTING_AND_CASTS = [
  `to_char to_date to_number to_timestamp`,
  // Function-call spelling of casts: int4(x), text(x), date(x), ...
  `bool bpchar char cidr date float4 float8 inet int2 int4 int8 interval macaddr macaddr8 money name numeric oid
   regclass text time timestamp timestamptz timetz varchar xml`,
];

const DATES_AND_TIMES = [
  `age date_add date_bin date_part date_subtract date_trunc extract isfinite justify_days justify_hours
   justify_interval make_date make_interval make_time make_timestamp make_timestamptz now statement_timestamp
   timezone transaction_timestamp overlaps`,
];

const JSON_FUNCTIONS = [
  `array_to_json json_array_elements json_array_elements_text json_array_length json_build_array json_build_object
   json_each json_each_text json_extract_path json_extract_path_text json_object json_object_keys
   json_populate_record json_populate_recordset json_strip_nulls json_to_record json_to_recordset json_typeof
   jsonb_array_elements jsonb_array_elements_text jsonb_array_length jsonb_build_array jsonb_build_object
   jsonb_each jsonb_each_text jsonb_extract_path jsonb_extract_path_text jsonb_insert jsonb_object
   jsonb_object_keys jsonb_path_exists jsonb_path_exists_tz jsonb_path_match jsonb_path_match_tz jsonb_path_query
   jsonb_path_query_array jsonb_path_query_array_tz jsonb_path_query_first jsonb_path_query_first_tz
   jsonb_path_query_tz jsonb_populate_record jsonb_populate_record_valid jsonb_populate_recordset jsonb_pretty
   jsonb_set jsonb_set_lax jsonb_strip_nulls jsonb_to_record jsonb_to_recordset jsonb_typeof row_to_json to_json
   to_jsonb`,
];

const ARRAYS_RANGES_AND_SETS = [
  `array_append array_cat array_dims array_fill array_length array_lower array_ndims array_position array_positions
   array_prepend array_remove array_replace array_reverse array_sort array_to_string array_upper cardinality
   generate_series generate_subscripts trim_array unnest daterange int4range int8range isempty lower_inc lower_inf
   multirange numrange range_merge tsrange tstzrange upper_inc upper_inf num_nonnulls num_nulls`,
];

const TEXT_SEARCH_XML_NETWORK_UUID = [
  `array_to_tsvector get_current_ts_config numnode phraseto_tsquery plainto_tsquery querytree setweight strip
   to_tsquery to_tsvector ts_delete ts_filter ts_headline ts_rank ts_rank_cd tsvector_to_array websearch_to_tsquery
   xml_is_well_formed xml_is_well_formed_content xml_is_well_formed_document xmltext xpath xpath_exists abbrev
   broadcast family host hostmask inet_merge inet_same_family masklen netmask network set_masklen
   uuid_extract_timestamp uuid_extract_version enum_first enum_last enum_range`,
];

const SESSION_AND_CATALOG_INFO = [
  `col_description current_database current_schema current_schemas current_setting format_type
   has_any_column_privilege has_column_privilege has_database_privilege has_foreign_data_wrapper_privilege
   has_function_privilege has_language_privilege has_parameter_privilege has_schema_privilege
   has_sequence_privilege has_server_privilege has_table_privilege has_tablespace_privilege has_type_privilege
   inet_client_addr inet_client_port inet_server_addr inet_server_port obj_description pg_backend_pid
   pg_collation_is_visible pg_column_compression pg_column_size pg_conf_load_time pg_conversion_is_visible
   pg_describe_object pg_function_is_visible pg_get_constraintdef pg_get_expr pg_get_function_arguments
   pg_get_function_identity_arguments pg_get_function_result pg_get_functiondef pg_get_indexdef pg_get_keywords
   pg_get_partkeydef pg_get_ruledef pg_get_serial_sequence pg_get_statisticsobjdef pg_get_triggerdef
   pg_get_userbyid pg_get_viewdef pg_has_role pg_identify_object pg_identify_object_as_address
   pg_index_column_has_property pg_index_has_property pg_indexam_has_property pg_input_error_info pg_input_is_valid
   pg_is_other_temp_schema pg_listening_channels pg_my_temp_schema pg_opclass_is_visible pg_operator_is_visible
   pg_opfamily_is_visible pg_partition_root pg_postmaster_start_time pg_relation_filenode pg_size_bytes
   pg_size_pretty pg_table_is_visible pg_trigger_depth pg_ts_config_is_visible pg_ts_dict_is_visible
   pg_ts_parser_is_visible pg_ts_template_is_visible pg_type_is_visible pg_typeof row_security_active
   shobj_description to_regclass to_regcollation to_regnamespace to_regoper to_regoperator to_regproc
   to_regprocedure to_regrole to_regtype to_regtypemod version pg_current_snapshot pg_snapshot_xip pg_snapshot_xmax
   pg_snapshot_xmin pg_visible_in_snapshot txid_current_snapshot txid_snapshot_xip txid_snapshot_xmax
   txid_snapshot_xmin txid_visible_in_snapshot`,
];

export interface ReviewedVolatile {
  readonly names: string;
  readonly why: string;
}

/**
 * Functions pg_proc marks VOLATILE (the planner may not fold or reuse them) that are read-only all
 * the same, each group with the reason it was let in. Nothing else on this list may be VOLATILE:
 * builtin-lists.integration.test.ts checks every name against a real server's pg_proc and fails
 * on a VOLATILE overload of an unreviewed name, or on a reviewed name that is no longer VOLATILE.
 */
export const REVIEWED_VOLATILE_FUNCTIONS: readonly ReviewedVolatile[] = [
  { names: 'random random_normal setseed', why: "they draw random numbers; setseed seeds only this session's generator" },
  { names: 'array_sample array_shuffle', why: 'they return their argument shuffled or sampled' },
  { names: 'clock_timestamp timeofday', why: 'they read the clock' },
  { names: 'gen_random_uuid uuidv4 uuidv7', why: 'they generate identifiers from randomness and the clock' },
  { names: 'current_query', why: "it returns this session's own statement text" },
  {
    names: `pg_blocking_pids pg_safe_snapshot_blocking_pids pg_database_size pg_indexes_size pg_relation_size
            pg_table_size pg_tablespace_size pg_total_relation_size pg_is_in_recovery pg_jit_available pg_xact_status
            pg_partition_ancestors pg_partition_tree`,
    why: 'their answer changes from call to call (lock table, file sizes, recovery state, commit log, partition tree): they read, never change',
  },
  {
    names: 'currval lastval',
    why: "they read this session's last sequence value without advancing any sequence (nextval and setval are writes)",
  },
  {
    names: 'pg_sleep pg_sleep_for pg_sleep_until',
    why: "a sleep ties up only the caller's own connection and the locks it already holds, which the statements that took them were judged for; statement_timeout bounds it, and flagging every delay would drown reviewers",
  },
];

const REVIEWED_VOLATILE_REASONS: ReadonlyMap<string, string> = new Map(
  REVIEWED_VOLATILE_FUNCTIONS.flatMap(({ names, why }) => names.split(/\s+/).map((name) => [name, why] as const)),
);

const READ_ONLY: ReadonlySet<string> = new Set(
  [
    AGGREGATES_AND_WINDOWS,
    MATH,
    STRINGS_AND_BYTES,
    FORMATTING_AND_CASTS,
    DATES_AND_TIMES,
    JSON_FUNCTIONS,
    ARRAYS_RANGES_AND_SETS,
    TEXT_SEARCH_XML_NETWORK_UUID,
    SESSION_AND_CATALOG_INFO,
    REVIEWED_VOLATILE_FUNCTIONS.map(({ names }) => names),
  ]
    .flat()
    .join(' ')
    .split(/\s+/)
    .filter((name) => name !== ''),
);

/** `name` is the lower-cased function name without its schema. */
export function isReadOnlyFunction(name: string): boolean {
  return READ_ONLY.has(name);
}

/** For tests and docs. */
export function readOnlyFunctionNames(): readonly string[] {
  return [...READ_ONLY];
}

/** The read-only functions known to be VOLATILE, each with why it is harmless. */
export function reviewedVolatileFunctions(): ReadonlyMap<string, string> {
  return REVIEWED_VOLATILE_REASONS;
}
