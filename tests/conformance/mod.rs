//! The conformance suite: one body of tests, written against athanor's
//! public API, instantiated once per backend by [`conformance_suite!`].
//!
//! A backend (this repository's or a third party's) provides one function,
//! `fn open(test_name: &str) -> Database`, returning a fresh, isolated
//! database, and calls `conformance_suite!(open);`.

#![allow(dead_code)]

pub mod concurrency;
pub mod crud;
pub mod errors;
pub mod filters;
pub mod joins;
pub mod migrations;
pub mod migrations_apply;
pub mod migrations_property;
pub mod models;
pub mod query;
pub mod relations;
pub mod schema;
pub mod stateful;
pub mod store;
pub mod transactions;
pub mod types;
pub mod unit_of_work;
pub mod values;

/// Expands into one `#[test]` per conformance test, each on a fresh database from `$open`.
#[macro_export]
macro_rules! conformance_suite {
    ($open:path) => {
        $crate::conformance_suite!(@tests $open;
            concurrency::for_update_loses_no_increment_across_eight_threads,
            concurrency::the_retry_helper_loses_no_increment_under_serializable,
            concurrency::locked_rows_can_be_skipped_or_refused,
            concurrency::isolation_levels_begin_transactions,
            concurrency::cached_statements_keep_their_row_locks,
            crud::insert_fills_generated_key,
            crud::insert_many_is_one_statement_and_fills_every_key,
            crud::insert_many_over_the_parameter_limit_is_chunked_atomically,
            crud::insert_many_without_keys_reads_no_keys_back,
            crud::insert_many_without_keys_keeps_explicit_keys_and_is_atomic,
            crud::find_returns_none_and_get_errors_for_a_missing_key,
            crud::update_writes_all_columns,
            crud::update_columns_writes_only_those,
            crud::update_of_unchanged_row_succeeds_and_missing_row_errors,
            crud::delete_removes_the_row_and_errors_when_absent,
            crud::upsert_on_primary_key_inserts_then_updates,
            crud::upsert_on_unique_column_updates_the_existing_row,
            crud::composite_keys_get_update_and_delete,
            crud::explicit_keys_do_not_break_generated_ones,
            crud::skipped_fields_are_not_columns,
            crud::defaults_apply_when_columns_are_omitted,
            crud::display_shows_key_and_fields,
            errors::unique_violation_names_the_column_and_constraint,
            errors::unique_is_case_sensitive,
            errors::foreign_key_violation_is_reported,
            errors::not_null_violation_names_the_column,
            errors::check_violation_is_reported,
            errors::conversion_error_names_table_column_and_types,
            errors::null_in_a_non_null_field_is_a_conversion_error,
            errors::out_of_range_values_are_refused_not_truncated,
            errors::invalid_schema_is_reported,
            errors::bad_urls_and_unreachable_servers_are_clear_errors,
            errors::urls_follow_the_sqlite_convention_and_never_show_passwords,
            errors::extreme_integers_as_floats_are_typed_errors_not_panics,
            errors::a_filter_nested_ten_thousand_deep_is_a_typed_error,
            errors::a_filter_at_the_depth_limit_runs,
            errors::long_in_lists_run_and_limits_are_typed_errors,
            filters::property_random_filter_matches_rust_evaluation,
            filters::property_long_integer_lists_match_rust_evaluation,
            filters::property_group_by_matches_rust_aggregation,
            joins::inner_join_along_a_relationship_reads_pairs,
            joins::left_join_gives_none_for_the_missing_side,
            joins::self_join_through_an_alias,
            joins::group_by_having_and_order_by_an_aggregate,
            joins::aggregates_have_the_same_types_everywhere,
            joins::subqueries_in_exists_and_scalar_positions,
            joins::expressions_in_selects_filters_and_updates,
            joins::updates_and_deletes_refuse_joins,
            joins::count_of_a_joined_query_with_limit_offset_or_distinct,
            joins::integer_sum_overflow_is_a_conversion_error_everywhere,
            joins::decimal_arithmetic_with_a_bound_decimal_is_exact,
            migrations::introspecting_create_all_matches_the_models,
            migrations::migrating_keeps_rows_and_generating_again_is_empty,
            migrations::lossy_changes_need_consent_and_hints_are_checked,
            migrations_apply::a_failed_migration_is_reported_and_recoverable,
            migrations_apply::bad_migrations_and_newer_databases_are_clear_errors,
            migrations_apply::two_processes_never_both_apply,
            migrations_apply::each_operation_keeps_rows_and_reverts,
            migrations::the_command_line_generates_applies_and_reverts,
            migrations::create_all_names_type_default_and_unique_differences,
            migrations::generated_files_are_the_same_on_every_backend,
            migrations::dropping_a_foreign_key_leaves_nothing_behind,
            migrations::a_rename_attribute_keeps_the_values,
            migrations_apply::keys_of_deleted_rows_stay_unused_after_a_change,
            migrations_apply::retyping_keyed_columns_keeps_their_foreign_keys,
            migrations_apply::narrowing_below_the_longest_value_fails_everywhere,
            migrations_apply::a_migration_without_steps_is_recorded,
            migrations_property::property_migrating_keeps_every_surviving_value,
            query::comparisons_filter_rows,
            query::and_or_not_combine,
            query::in_and_not_in_lists,
            query::like_is_case_sensitive_and_escapes,
            query::order_by_several_columns_with_nulls_first,
            query::limit_and_offset_page_results,
            query::count_and_exists,
            query::first_one_and_one_or_none,
            query::one_errors_when_two_rows_match,
            query::select_chosen_columns_into_tuples,
            query::update_and_delete_by_filter_return_counts,
            query::column_to_column_comparison,
            query::raw_sql_maps_into_models_and_tuples,
            relations::lazy_loading_one_to_many_and_many_to_one,
            relations::eager_loading_costs_one_query_per_level,
            relations::eager_loading_many_parents_stays_constant,
            relations::many_to_many_link_load_and_unlink,
            relations::deleting_cascades_exactly_children_and_links,
            relations::restrict_refuses_to_delete_a_parent_with_children,
            relations::a_child_of_a_missing_parent_is_a_foreign_key_error,
            relations::removing_a_child_deletes_or_clears_it_as_declared,
            relations::session_saves_children_through_the_parent,
            relations::querying_through_relations,
            relations::self_referential_manager_and_reports,
            stateful::property_transactions_match_a_reference_model,
            stateful::property_sessions_match_a_reference_model,
            schema::create_all_is_idempotent_and_orders_by_foreign_keys,
            schema::drop_all_removes_tables_children_first,
            schema::on_delete_cascade_removes_children,
            schema::on_delete_set_null_clears_the_key,
            schema::on_delete_restrict_refuses_and_deletes_nothing,
            schema::composite_unique_index_is_enforced,
            schema::ddl_quotes_identifiers,
            schema::create_all_refuses_a_table_that_differs_from_its_model,
            transactions::transaction_commits,
            transactions::a_failed_statement_fails_the_transaction_everywhere,
            transactions::a_raw_begin_left_open_is_rolled_back_on_return,
            transactions::transaction_rolls_back_on_drop,
            transactions::nested_transactions_are_savepoints,
            transactions::session_add_commit_fills_keys,
            transactions::session_flushes_parents_before_children,
            transactions::session_rollback_discards_flushed_and_pending_work,
            transactions::session_drop_rolls_back_uncommitted_work,
            transactions::session_failed_flush_rolls_back_everything,
            transactions::session_saves_changes_to_tracked_objects,
            transactions::capture_counts_the_statements_of_a_block,
            transactions::database_is_shared_across_threads,
            transactions::pool_timeout_is_its_own_error,
            transactions::a_connection_returned_mid_transaction_is_rolled_back,
            unit_of_work::identity_map_returns_the_same_object_with_one_select,
            unit_of_work::changing_one_field_updates_only_that_column,
            unit_of_work::transactions_begin_at_the_first_statement,
            unit_of_work::autoflush_makes_pending_inserts_visible_to_queries,
            unit_of_work::collections_follow_adds_and_removes_in_memory_and_in_rows,
            unit_of_work::many_to_many_links_follow_the_session_and_deletes_remove_them,
            unit_of_work::nested_transaction_rollback_restores_rows_and_objects,
            unit_of_work::a_session_moves_to_another_thread,
            unit_of_work::rows_made_only_of_their_key_are_saved,
            unit_of_work::a_new_object_with_the_key_of_a_held_one_is_refused,
            unit_of_work::many_to_one_parents_come_from_the_identity_map,
            unit_of_work::linking_twice_or_unlinking_then_linking_writes_nothing,
            unit_of_work::a_borrowed_object_stops_the_flush_before_anything_is_sent,
            unit_of_work::refresh_and_delete_find_the_right_objects,
            types::decimals_and_dates_round_trip_exactly,
            types::time_below_a_microsecond_is_dropped_the_same_everywhere,
            types::values_that_do_not_fit_are_typed_errors,
            types::sqlite_enforces_foreign_keys_on_every_pooled_connection,
            types::unicode_text_survives_any_server_charset,
            types::case_insensitive_columns_compare_and_stay_unique_ignoring_case,
            types::uuids_and_json_round_trip,
            types::nan_infinities_and_negative_zero_are_the_same_everywhere,
            types::dates_beyond_four_digit_years_and_leap_seconds_are_refused,
            values::every_type_round_trips_with_extremes_and_nulls,
            values::text_with_nul_bytes_round_trips_or_is_refused,
            values::property_any_value_round_trips,
            values::property_hostile_strings_are_stored_verbatim,
            values::raw_values_bind_as_parameters,
        );
    };
    (@tests $open:path; $($module:ident :: $name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let db = $open(stringify!($name));
                conformance::$module::$name(&db);
            }
        )*
    };
}
