"""The action-conditioned visuo-tactile grasp-success model f(s, a), its data, training and calibration."""
