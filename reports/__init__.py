"""The comparison report: matrix, guarantees and claims, figures, CI regression (``llmchaos report``)."""
