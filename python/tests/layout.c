/* layout.c - prints the size of every public struct of include/patchtsmixer.h and the offset
 * of each field that the Python binding mirrors (python/patchtsmixer/_capi.py), one per line:
 *     ptm_inputs 72
 *     ptm_inputs.past_values 8
 * test_binding.py compares them with ctypes' layout, so a header change that the binding
 * does not follow fails the tests instead of corrupting memory. Keep the lists in step with
 * _capi.py: a field added to a struct in the header changes its size and shows up here.
 */
#include <stddef.h>
#include <stdio.h>

#include "patchtsmixer.h"

#define SIZE(s) printf("%s %zu\n", #s, sizeof(s))
#define FIELD(s, f) printf("%s.%s %zu\n", #s, #f, offsetof(s, f))

int main(void) {
    SIZE(ptm_error);
    FIELD(ptm_error, code);
    FIELD(ptm_error, file);
    FIELD(ptm_error, field);
    FIELD(ptm_error, text);
    SIZE(ptm_config);
    FIELD(ptm_config, model_class);
    FIELD(ptm_config, context_length);
    FIELD(ptm_config, patch_length);
    FIELD(ptm_config, patch_stride);
    FIELD(ptm_config, num_patches);
    FIELD(ptm_config, num_input_channels);
    FIELD(ptm_config, d_model);
    FIELD(ptm_config, expansion_factor);
    FIELD(ptm_config, num_layers);
    FIELD(ptm_config, dropout);
    FIELD(ptm_config, head_dropout);
    FIELD(ptm_config, mode);
    FIELD(ptm_config, gated_attn);
    FIELD(ptm_config, norm_mlp);
    FIELD(ptm_config, self_attn);
    FIELD(ptm_config, self_attn_heads);
    FIELD(ptm_config, use_positional_encoding);
    FIELD(ptm_config, positional_encoding_type);
    FIELD(ptm_config, scaling);
    FIELD(ptm_config, loss);
    FIELD(ptm_config, distribution_output);
    FIELD(ptm_config, prediction_length);
    FIELD(ptm_config, num_prediction_channels);
    FIELD(ptm_config, prediction_channel_indices);
    FIELD(ptm_config, num_targets);
    FIELD(ptm_config, has_output_range);
    FIELD(ptm_config, output_range);
    FIELD(ptm_config, head_aggregation);
    FIELD(ptm_config, norm_eps);
    FIELD(ptm_config, init_std);
    FIELD(ptm_config, num_parallel_samples);
    FIELD(ptm_config, mask_type);
    FIELD(ptm_config, random_mask_ratio);
    FIELD(ptm_config, num_forecast_mask_patches_count);
    FIELD(ptm_config, num_forecast_mask_patches);
    FIELD(ptm_config, forecast_mask_patches_is_list);
    FIELD(ptm_config, mask_value);
    FIELD(ptm_config, masked_loss);
    FIELD(ptm_config, channel_consistent_masking);
    FIELD(ptm_config, num_unmasked_channels);
    FIELD(ptm_config, unmasked_channel_indices);
    FIELD(ptm_config, post_init);
    FIELD(ptm_config, family);
    FIELD(ptm_config, ttm);
    FIELD(ptm_config, num_labels);
    FIELD(ptm_config, id2label);
    SIZE(ptm_ttm_config);
    FIELD(ptm_ttm_config, adaptive_patching_levels);
    FIELD(ptm_ttm_config, resolution_prefix_tuning);
    FIELD(ptm_ttm_config, frequency_token_vocab_size);
    FIELD(ptm_ttm_config, use_decoder);
    FIELD(ptm_ttm_config, decoder_num_layers);
    FIELD(ptm_ttm_config, decoder_d_model);
    FIELD(ptm_ttm_config, decoder_adaptive_patching_levels);
    FIELD(ptm_ttm_config, decoder_raw_residual);
    FIELD(ptm_ttm_config, decoder_mode);
    FIELD(ptm_ttm_config, prediction_filter_length);
    FIELD(ptm_ttm_config, num_exogenous_channels);
    FIELD(ptm_ttm_config, exogenous_channel_indices);
    FIELD(ptm_ttm_config, enable_forecast_channel_mixing);
    FIELD(ptm_ttm_config, fcm_gated_attn);
    FIELD(ptm_ttm_config, fcm_context_length);
    FIELD(ptm_ttm_config, fcm_use_mixer);
    FIELD(ptm_ttm_config, fcm_mix_layers);
    FIELD(ptm_ttm_config, fcm_prepend_past);
    FIELD(ptm_ttm_config, fcm_prepend_past_offset);
    FIELD(ptm_ttm_config, num_categorical);
    FIELD(ptm_ttm_config, categorical_vocab_size_list);
    FIELD(ptm_ttm_config, huber_delta);
    FIELD(ptm_ttm_config, quantile);
    SIZE(ptm_ctx_params);
    FIELD(ptm_ctx_params, max_batch);
    FIELD(ptm_ctx_params, keep_hidden_states);
    FIELD(ptm_ctx_params, num_threads);
    FIELD(ptm_ctx_params, num_input_channels);
    SIZE(ptm_load_params);
    FIELD(ptm_load_params, max_bytes);
    SIZE(ptm_inputs);
    FIELD(ptm_inputs, batch);
    FIELD(ptm_inputs, past_values);
    FIELD(ptm_inputs, observed_mask);
    FIELD(ptm_inputs, future_values);
    FIELD(ptm_inputs, target_values);
    FIELD(ptm_inputs, target_labels);
    FIELD(ptm_inputs, patch_mask);
    FIELD(ptm_inputs, mask_seed);
    FIELD(ptm_inputs, dropout_seed);
    FIELD(ptm_inputs, past_length);
    FIELD(ptm_inputs, freq_token);
    FIELD(ptm_inputs, static_categorical_values);
    FIELD(ptm_inputs, future_observed_mask);
    SIZE(ptm_tensor_view);
    FIELD(ptm_tensor_view, name);
    FIELD(ptm_tensor_view, data);
    FIELD(ptm_tensor_view, ndim);
    FIELD(ptm_tensor_view, shape);
    SIZE(ptm_csv);
    FIELD(ptm_csv, nrows);
    FIELD(ptm_csv, ncols);
    FIELD(ptm_csv, colnames);
    FIELD(ptm_csv, has_time);
    FIELD(ptm_csv, time_colname);
    FIELD(ptm_csv, time_text);
    FIELD(ptm_csv, time_sec);
    FIELD(ptm_csv, time_parsed);
    FIELD(ptm_csv, values);
    FIELD(ptm_csv, observed);
    SIZE(ptm_std_scaler);
    FIELD(ptm_std_scaler, ncols);
    FIELD(ptm_std_scaler, mean);
    FIELD(ptm_std_scaler, std);
    SIZE(ptm_preprocessor);
    FIELD(ptm_preprocessor, present);
    FIELD(ptm_preprocessor, ncols);
    FIELD(ptm_preprocessor, columns);
    FIELD(ptm_preprocessor, is_target);
    FIELD(ptm_preprocessor, scaler);
    FIELD(ptm_preprocessor, timestamp_column);
    FIELD(ptm_preprocessor, timestamp_format);
    FIELD(ptm_preprocessor, time_step);
    FIELD(ptm_preprocessor, training_data);
    FIELD(ptm_preprocessor, training_command);
    SIZE(ptm_train_params);
    FIELD(ptm_train_params, task);
    FIELD(ptm_train_params, config_path);
    FIELD(ptm_train_params, config_json);
    FIELD(ptm_train_params, init_from);
    FIELD(ptm_train_params, freeze_backbone);
    FIELD(ptm_train_params, test_path);
    FIELD(ptm_train_params, columns);
    FIELD(ptm_train_params, epochs);
    FIELD(ptm_train_params, batch_size);
    FIELD(ptm_train_params, lr);
    FIELD(ptm_train_params, weight_decay);
    FIELD(ptm_train_params, clip_norm);
    FIELD(ptm_train_params, schedule);
    FIELD(ptm_train_params, warmup_frac);
    FIELD(ptm_train_params, patience);
    FIELD(ptm_train_params, max_steps);
    FIELD(ptm_train_params, seed);
    FIELD(ptm_train_params, resume);
    FIELD(ptm_train_params, log);
    FIELD(ptm_train_params, on_epoch);
    FIELD(ptm_train_params, user);
    FIELD(ptm_train_params, config);
    FIELD(ptm_train_params, num_threads);
    FIELD(ptm_train_params, stop_after_epochs);
    FIELD(ptm_train_params, command);
    FIELD(ptm_train_params, few_shot);
    SIZE(ptm_stream_params);
    FIELD(ptm_stream_params, num_threads);
    SIZE(ptm_train_summary);
    FIELD(ptm_train_summary, epochs_run);
    FIELD(ptm_train_summary, best_epoch);
    FIELD(ptm_train_summary, steps);
    FIELD(ptm_train_summary, best_val);
    FIELD(ptm_train_summary, test_mse);
    FIELD(ptm_train_summary, test_mae);
    FIELD(ptm_train_summary, test_accuracy);
    FIELD(ptm_train_summary, seconds);
    FIELD(ptm_train_summary, samples_per_sec);
    FIELD(ptm_train_summary, baseline_accuracy);
    FIELD(ptm_train_summary, baseline_mse);
    FIELD(ptm_train_summary, baseline_mae);
    return 0;
}
