import EdgeFormat
import CONNX
