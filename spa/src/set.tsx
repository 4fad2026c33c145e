import { render } from 'preact';
import './styles/app.css';
import { SetPage } from './components/SetPage';
import { mount } from './mount';

mount((el, id) => render(<SetPage id={id} />, el));
