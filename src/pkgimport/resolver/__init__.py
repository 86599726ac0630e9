"""rez's version algebra and a solver that resolves exactly like rez 3.4."""
